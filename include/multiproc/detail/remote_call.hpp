// The remote-call piece every way of running code elsewhere shares (the
// pool now; forkserver, spawn and MPI later, API.md Part 5): which
// callables can travel (detail/task_checks.hpp), how code is named so that
// another process can find it, how a callable and its arguments are
// encoded, and the typed trampoline that runs one call there.
//
// Code is named, never sent: a function is (module, offset from that
// module's load base), not its address. Within a fork the module numbers
// of parent and child are the same table, so the pair is exact; across an
// exec (another process of the same program, other load bases) the peer's
// table is matched to ours by GNU build-id first (src/remote/).
//
//   code_ref ref = name_function(&f);         // in the sender
//   auto* g = resolve_function<int (*)(int)>(ref);  // in the receiver
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "multiproc/codec.hpp"
#include "multiproc/detail/task_checks.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

/// A piece of code named portably: the module it lies in (an index into
/// this process's module table, src/remote/module_table.hpp) and its
/// offset from that module's load base.
struct code_ref {
  std::uint32_t module = 0;
  std::uint64_t offset = 0;

  /// Module indexes above this, or offsets of 2^48 and more, do not fit a
  /// packed code_ref (a module of 256 TiB, or 65535 modules, do not occur).
  static constexpr std::uint32_t kMaxModule = 0xfffe;
  static constexpr std::uint64_t kOffsetMask = (std::uint64_t{1} << 48) - 1;
  /// The module number of a packed code_ref that names nothing (code that
  /// lay in no loaded module); resolving it fails with usage_error.
  static constexpr std::uint32_t kNoModule = 0xffff;

  /// One 64-bit word (module in the top 16 bits): the wire's entry field
  /// and a function pointer's place in a task's payload keep their size.
  constexpr std::uint64_t pack() const noexcept {
    return (std::uint64_t{module} << 48) | (offset & kOffsetMask);
  }
  static constexpr code_ref unpack(std::uint64_t bits) noexcept {
    return {static_cast<std::uint32_t>(bits >> 48), bits & kOffsetMask};
  }
  friend constexpr bool operator==(code_ref, code_ref) = default;
};

/// Names the code at `address` in this process.
/// Errors: usage_error when the address lies in no executable segment of
/// a loaded module (e.g. code generated at run time). std::bad_alloc.
/// Thread safety: any thread; lock-free after the first call for a module
/// (a dlopen since the last look rescans the modules once). The table is
/// trusted where it has the address: a library dlclosed and another mapped
/// over its addresses is caught where the name is resolved, not here.
code_ref name_code(std::uintptr_t address);

/// As name_code, but never throws: false when the address cannot be named.
bool try_name_code(std::uintptr_t address, code_ref& out) noexcept;

/// The address in this process that `ref` (named here or in a fork of this
/// process) stands for. A name from an exec'd peer goes through its
/// table's module_map (src/remote/module_exchange.hpp) first.
/// Errors: usage_error naming the module's file when that module is not
/// loaded here (any more), or when the offset lies outside its executable
/// segments (a corrupt message). std::bad_alloc.
/// Thread safety: any thread; lock-free once the module is known.
std::uintptr_t resolve_code(code_ref ref);

/// Makes this process resolve every code_ref as a peer's, turned into ours
/// by `translate` first (null: as our own again). For a worker whose tasks
/// come from an exec'd peer, which names code in its own module numbering
/// (an MPI agent's worker: the client's table, src/mpi/). It holds in this
/// process only, not in its forks: a pool that a task builds there names
/// and resolves in the worker's own numbering. `translate` may throw
/// usage_error (a module with no match here).
/// Thread safety: call before any task runs (a worker's initializer).
using peer_code_translation = code_ref (*)(code_ref peer_ref);
void set_peer_code_translation(peer_code_translation translate) noexcept;

/// name_code for a function pointer.
template <class F>
requires is_function_pointer<F> code_ref name_function(F fn) {
  return name_code(reinterpret_cast<std::uintptr_t>(fn));
}

/// resolve_code for a function pointer of type F.
template <class F>
requires is_function_pointer<F> F resolve_function(code_ref ref) {
  return reinterpret_cast<F>(  // NOLINT(performance-no-int-to-ptr)
      resolve_code(ref));
}

// --- Callables and arguments -------------------------------------------------

/// Writes a task's callable: a function pointer as its packed code_ref; a
/// stateless callable as nothing (its type says everything, and the
/// trampoline instantiated for it default-constructs one).
/// Errors: as name_code.
template <class F>
void write_callable(encoder& out, F fn) {
  if constexpr (is_function_pointer<F>) {
    out.write(name_function(fn).pack());
  }
}

/// Reads what write_callable wrote. Errors: as resolve_code.
template <class F>
F read_callable(decoder& in) {
  if constexpr (is_function_pointer<F>) {
    return resolve_function<F>(code_ref::unpack(in.read<std::uint64_t>()));
  } else {
    return F{};
  }
}

/// A trampoline: runs in the receiver, decodes the callable and arguments
/// from `input`, calls and encodes the outcome into `output`. Returns true
/// when `output` holds a value, false when it holds an encoded exception.
/// Must not throw. Travels as the code_ref of its instantiation.
using remote_entry = bool (*)(std::span<const std::byte> input,
                              std::vector<std::byte>& output) noexcept;

/// A trampoline as one word for a message (its packed code_ref); when it
/// cannot be named, a code_ref of kNoModule, which the receiver refuses.
/// Never throws, so a sender's loop need not handle a failure.
std::uint64_t pack_entry(remote_entry entry) noexcept;
/// The trampoline a word from pack_entry (here or in a fork of this
/// process) names. Errors: as resolve_code.
remote_entry unpack_entry(std::uint64_t word);

/// In the receiver, inside a catch block: encodes the exception being
/// handled into `output`. multiproc::exit() in a task ends the process
/// instead (the task then fails with process_died, as a crash would).
void encode_task_failure(std::vector<std::byte>& output) noexcept;

/// The single-call trampoline: input = callable (write_callable), tuple of
/// arguments; output = the result.
template <class F, class R, class ArgsTuple>
bool call_entry(std::span<const std::byte> input,
                std::vector<std::byte>& output) noexcept {
  try {
    decoder in(input);
    F fn = read_callable<F>(in);
    ArgsTuple args = in.read<ArgsTuple>();
    encoder out;
    if constexpr (std::is_void_v<R>) {
      std::apply(fn, std::move(args));
    } else {
      auto&& value = std::apply(fn, std::move(args));
      out.write(static_cast<const R&>(value));
    }
    output = std::move(out).take_bytes();
    return true;
  } catch (...) {
    encode_task_failure(output);
    return false;
  }
}

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
