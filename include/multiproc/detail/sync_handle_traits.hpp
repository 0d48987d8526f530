// Which types are Part 4 handles, for the compile-time refusals: a handle
// is an address in this process's mapping and has no byte image, so it
// may not be the T of value/array, nor travel through the codec. Also the
// one way a handle does reach a pool task (API.md Part 4, "Pool workers"):
// as a top-level argument of submit()/apply(), when the object is older
// than the pool, so that every worker already has it from the fork.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail::sync {

/// Specialised true for every handle type (synchronize.hpp,
/// shared_value.hpp, shared_memory.hpp, queue.hpp), with `python_name`, the
/// class name in Python's messages ("Lock", "Queue", ...).
template <class T>
struct is_handle : std::false_type {};

template <class T>
inline constexpr bool is_handle_v = is_handle<std::remove_cv_t<T>>::value;

inline constexpr const char* kHandleDiagnostic =
    "a multiproc lock, queue, pipe or shared object reaches other processes "
    "only by inheritance: create it before start(), async() or the pool, and "
    "capture it or pass it as an argument";

/// Births: a process-local count of the shared objects made so far. Each
/// object records the count at its making (handle_birth(h), a hidden
/// friend of every handle type), and a pool records it when it forks its
/// workers, so "older than the pool" is one comparison. The count is
/// inherited by fork, so a child's objects are younger than everything it
/// inherited. Errors: none.
std::uint64_t next_birth() noexcept;
/// The births so far (never maps anything). Errors: none.
std::uint64_t births_so_far() noexcept;

/// A handle passed to a pool task: the bytes of the caller's handle object.
/// Every address in them is one the worker has as well, since the object
/// (and so every allocation it points to) is older than the worker's fork;
/// the worker copy-constructs a handle of its own from them, which counts
/// in that worker's inherited share of the object. The caller keeps a copy
/// of its handle until the task has finished (task_record::keep_alive), as
/// the contract says.
template <class H>
struct borrowed_handle {
  alignas(H) std::byte bytes[sizeof(H)];

  borrowed_handle() noexcept = default;
  explicit borrowed_handle(const H& handle) noexcept {
    std::memcpy(bytes, static_cast<const void*>(&handle), sizeof(H));
  }
  // NOLINTNEXTLINE(google-explicit-constructor): the task takes an H
  operator H() const noexcept {
    return H(*std::launder(reinterpret_cast<const H*>(bytes)));
  }
};

/// The type a pool task's argument travels as.
template <class T>
struct task_argument {
  using type = T;
};
template <class T>
requires is_handle<T>::value struct task_argument<T> {
  using type = borrowed_handle<T>;
};
template <class T>
using task_argument_t = typename task_argument<T>::type;

}  // namespace multiproc::inline v0::detail::sync

#pragma GCC visibility pop
