// multiproc/start_method.hpp — how a child is made: Python's start methods.
//
// `fork` (the default) copies the caller; `spawn` runs a fresh copy of the
// program (posix_spawn of /proc/self/exe) that becomes the child at its
// guard, the program's first multiproc call that starts processes:
//
//   int main() {
//     mp::set_start_method(mp::start_method::spawn);  // the guard: first
//     mp::process worker(crunch, 42);  // a function pointer and codec args
//     worker.start();
//     worker.join();
//   }
//
// A child that shares no memory with its creator runs a target named as
// code both programs have (a function pointer, a captureless lambda or an
// empty function object), with arguments sent through multiproc::codec; its
// globals are as the program's static initialisers left them.
#pragma once

#include <string_view>
#include <type_traits>

#include "multiproc/codec.hpp"
#include "multiproc/detail/task_checks.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// Python: the start method names of multiprocessing.
enum class start_method { fork, forkserver, spawn };

/// "fork", "forkserver", "spawn". Python: the method's name.
/// Errors: none.
std::string_view to_string(start_method method) noexcept;

/// Python: set_start_method(method, force=False). Call it as the first
/// statement of main: in a copy of the program started by spawn or
/// forkserver it is the guard, where the copy becomes the child (or the
/// forkserver) and never returns. `forkserver`: starts this process's
/// forkserver now, without waiting for it (a start waits).
/// Errors: usage_error("context has already been set") on a second call, or
/// after a process was started, unless `force`.
/// Thread safety: any thread.
void set_start_method(start_method method, bool force = false);

/// Python: get_start_method(). fork unless set. Not a guard.
/// Errors: none. Thread safety: any thread.
start_method get_start_method() noexcept;

/// True when fn(args...) can run in a process that shares no memory with
/// this one: F (decayed) is a function pointer or an empty,
/// default-constructible class type, and every decayed Arg is transferable.
/// Python: a target and args that pickle.
template <class F, class... Args>
concept portable =
    (detail::is_function_pointer<std::decay_t<F>> ||
     detail::is_stateless_callable<
         std::decay_t<F>>)&&(transferable<std::decay_t<Args>>&&...);

namespace detail {
/// The guard itself, for programs (and the test main) that must serve as a
/// spawned copy without choosing a method: in such a copy it runs the child
/// and never returns; elsewhere it does nothing. Errors: none.
void serve_if_started_by_exec() noexcept;
}  // namespace detail

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
