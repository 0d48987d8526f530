// Which types are Part 4 handles, for the compile-time refusals: a handle
// is an address in this process's mapping and has no byte image, so it
// may not be the T of value/array (nor, later, travel through the codec).
#pragma once

#include <type_traits>

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail::sync {

/// Specialised true for every handle type (synchronize.hpp,
/// shared_value.hpp, shared_memory.hpp).
template <class T>
struct is_handle : std::false_type {};

template <class T>
inline constexpr bool is_handle_v = is_handle<std::remove_cv_t<T>>::value;

inline constexpr const char* kHandleDiagnostic =
    "a multiproc lock, queue, pipe or shared object reaches other processes "
    "only by inheritance: create it before start(), async() or the pool, and "
    "capture it or pass it as an argument";

}  // namespace multiproc::inline v0::detail::sync

#pragma GCC visibility pop
