// A process target as a process that shares no memory with its creator
// (spawn, forkserver; API.md Part 5) receives it: the code of a typed
// trampoline and of the function, named as (module, offset)
// (detail/remote_call.hpp), and the arguments encoded by the codec.
//
// The trampoline is instantiated where the target is given (process's
// constructor, through unique_callable), so the child, the same program,
// has its code at the same offset of the same module.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <tuple>
#include <type_traits>
#include <vector>

#include "multiproc/codec.hpp"
#include "multiproc/detail/remote_call.hpp"
#include "multiproc/detail/task_checks.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

/// Where a trampoline reads a call's encoded arguments from. `release`,
/// when set, runs once they are decoded and before the target does: a
/// child that mapped large arguments from a file unmaps them there, so
/// that their pages are not held beside the decoded copies for the whole
/// call.
struct encoded_arguments {
  std::span<const std::byte> bytes;
  void (*release)(void* context) noexcept = nullptr;
  void* context = nullptr;
};

/// Runs one process target in the receiver: `function` is the resolved
/// address of a function-pointer target (unused for a stateless one).
/// Throws what decoding or the target throws: the child reports it as an
/// uncaught exception.
using portable_entry = void (*)(std::uintptr_t function,
                                const encoded_arguments& arguments);

/// A target in its sendable form; code as packed code_refs of this process.
struct portable_call {
  std::uint64_t entry = 0;
  std::uint64_t function = 0;  // a function pointer's code_ref, else 0
  bool has_function = false;
  std::vector<std::byte> arguments;
};

/// True when a target of type F with stored arguments Tuple can be sent.
template <class F, class Tuple>
inline constexpr bool is_portable_target = false;
template <class F, class... Args>
inline constexpr bool is_portable_target<F, std::tuple<Args...>> =
    (is_function_pointer<F> ||
     is_stateless_callable<F>)&&(transferable<Args>&&...);

/// True when F can be called with the stored arguments as rvalues.
template <class F, class Tuple>
inline constexpr bool invocable_with_moved = false;
template <class F, class... Args>
inline constexpr bool invocable_with_moved<F, std::tuple<Args...>> =
    std::is_invocable_v<F&, Args&&...>;

template <class F, class Tuple>
void run_portable_call(std::uintptr_t function,
                       const encoded_arguments& arguments) {
  F fn = [function] {
    if constexpr (is_function_pointer<F>) {
      // NOLINTNEXTLINE(performance-no-int-to-ptr)
      return reinterpret_cast<F>(function);
    } else {
      (void)function;
      return F{};
    }
  }();
  Tuple args = [&arguments] {
    decoder in(arguments.bytes);
    return in.read<Tuple>();
  }();
  if (arguments.release != nullptr) arguments.release(arguments.context);
  // The decoded values are this call's own: a target that takes them by
  // value or by const reference gets them moved, not copied again (one
  // pass less over a 256 MiB argument); one that takes an lvalue reference
  // gets them as lvalues, as under fork.
  if constexpr (invocable_with_moved<F, Tuple>) {
    std::apply(
        [&fn](auto&... unpacked) { std::invoke(fn, std::move(unpacked)...); },
        args);
  } else {
    std::apply([&fn](auto&... unpacked) { std::invoke(fn, unpacked...); },
               args);
  }
}

/// Fills `out` for fn(args...), the arguments written to `arguments`
/// (`out.arguments` untouched), so that the caller chooses where they go.
/// Errors: usage_error when the code cannot be named; codec errors from
/// the arguments; what `arguments`' sink throws; std::bad_alloc.
template <class F, class Tuple>
void encode_portable_call(const F& fn, const Tuple& args, portable_call& out,
                          encoder& arguments) {
  portable_entry entry = &run_portable_call<F, Tuple>;
  out.entry = name_code(reinterpret_cast<std::uintptr_t>(entry)).pack();
  if constexpr (is_function_pointer<F>) {
    out.function = name_function(fn).pack();
    out.has_function = true;
  }
  arguments.write(args);
}

/// As above, the arguments encoded into `out.arguments`.
template <class F, class Tuple>
void encode_portable_call(const F& fn, const Tuple& args, portable_call& out) {
  encoder encoded;
  encode_portable_call(fn, args, out, encoded);
  out.arguments = std::move(encoded).take_bytes();
}

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
