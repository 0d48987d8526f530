// multiproc/async.hpp — run a function in a child process and get its
// result back: std::async with a process instead of a thread, or Python's
// concurrent.futures with one process per call.
//
//   namespace mp = multiproc;
//   std::vector<int> data = load();            // reaches the child by fork
//   mp::future<long> f = mp::async([&data] { return sum(data); });
//   long total = f.get();                      // or rethrows its exception
//
//   // With a name and a timeout: the child is killed when it passes.
//   auto g = mp::async({.name = "render", .timeout = std::chrono::seconds(5)},
//                      render, scene);
//
//   // Shorthand for async(...).get():
//   std::string text = mp::call(format_report, 2024);
//
// Arguments and captures reach the child by fork: any copyable (or movable)
// value works and nothing is serialized on the way in. The result comes
// back through multiproc::codec (see multiproc/codec.hpp); a result type it
// cannot carry is a compile-time error that says what to do.
//
// How results travel: the parent makes a memfd before the fork; the child
// writes the encoded result into it (large blocks straight from the
// result's memory) and then a header that marks it complete; after the
// child has exited with code 0 the parent reads the header and maps or
// reads the payload. A child that crashes half way leaves no header (or
// a non-zero exit code), so get() throws process_died, never a torn value.
//
// How timeouts work: the child arms a POSIX timer (CLOCK_MONOTONIC,
// absolute, the deadline fixed by the parent when async() was called) whose
// signal is SIGKILL. The kernel kills the child when the timeout passes
// whether or not anyone waits, with no thread in the parent; the future
// reaps it in get()/wait*() or in its destructor.
//
// DANGER: async() forks (unless its start method is spawn, see
// async_options::start_method). In a program with other threads, a forked
// child holds copies of locks those threads held at the moment of the
// fork; see the process.hpp notes on fork in threaded programs.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "multiproc/codec.hpp"
#include "multiproc/detail/async_child.hpp"
#include "multiproc/detail/async_core.hpp"
#include "multiproc/detail/portable_call.hpp"
#include "multiproc/detail/remote_call.hpp"
#include "multiproc/detail/task_checks.hpp"
#include "multiproc/future.hpp"
#include "multiproc/limits.hpp"
#include "multiproc/process.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// Options for async().
/// Python: no equivalent (an executor's submit() takes none).
struct async_options {
  /// The child's name (process().name()); empty: generated, Python style.
  std::string name{};
  /// Kill the child (SIGKILL) once this has passed since async() was
  /// called; get() then throws timeout_error. Empty: no limit; 100 years or
  /// more: no limit. Python: Future.result(timeout) only stops waiting;
  /// this stops the work.
  std::optional<std::chrono::nanoseconds> timeout{};
  /// Resource caps of the child (multiproc/limits.hpp): beyond its memory
  /// cap an allocation throws std::bad_alloc, which get() rethrows; past
  /// its CPU cap it is killed and get() throws process_died saying so.
  /// Empty: none. Python: none.
  std::optional<multiproc::limits> limits{};
  /// How the child is started (multiproc/start_method.hpp). Empty: the
  /// default at the call. Under a method other than fork, fn and args must
  /// be portable (a function pointer, captureless lambda or empty function
  /// object; arguments multiproc::codec can carry), or async() throws
  /// usage_error; they are then encoded, not copied by fork.
  /// Python: ProcessPoolExecutor(mp_context=get_context(method)).
  std::optional<multiproc::start_method> start_method{};
};

/// The type a future from async(fn, args...) holds: what
/// std::invoke(fn, args...) returns, without reference or cv qualifiers. (A
/// placeholder when fn cannot be invoked so, after one static_assert
/// saying why: detail/task_checks.hpp.)
template <class F, class... Args>
using async_result_t =
    detail::task_result_t<std::decay_t<F>&&, std::decay_t<Args>&&...>;

namespace detail {

/// The method an async() child is started by: `chosen`, else the default
/// now. A guard first (a spawned copy of the program becomes its child
/// here). Errors: none.
multiproc::start_method async_start_method(
    std::optional<multiproc::start_method> chosen) noexcept;

/// The target of an async() child that shares no memory with its caller:
/// an empty type, so that it travels by name with its arguments (the
/// result fd's number, the deadline, fn's code when it is a function
/// pointer, and fn's arguments) and rebuilds fn there.
template <class R, class F, class... Args>
struct portable_async_body {
  void operator()(int fd, std::int64_t deadline_ns, std::uint64_t function,
                  Args&... args) const {
    F fn = [function] {
      if constexpr (is_function_pointer<F>) {
        return resolve_function<F>(code_ref::unpack(function));
      } else {
        (void)function;
        return F{};
      }
    }();
    run_in_child<R>(fd, deadline_ns, fn, args...);
  }
};

}  // namespace detail

/// Forks a child that computes std::invoke(fn, args...) on its own copies
/// of fn and args (passed as rvalues, as std::async does) and sends the
/// result back. Returns at once.
/// Python: ProcessPoolExecutor.submit(fn, *args) with a fresh process per
/// call, and fn and args copied by fork instead of pickled.
/// Under options.start_method (else the default method) spawn or
/// forkserver, the child is a spawned copy of the program, or a fork of its
/// forkserver, instead, given fn by name and args encoded.
/// Errors: usage_error("daemonic processes are not allowed to have
/// children") inside a daemon child (as process::start()); usage_error("the
/// 'spawn' start method cannot send this target: ...") when the method is
/// not fork and fn or args are not portable, with no child started;
/// under forkserver, usage_error when its server refuses to serve
/// (multiproc/start_method.hpp); usage_error and
/// std::system_error for options.limits that cannot be applied
/// (multiproc/limits.hpp), with no child started;
/// std::system_error ("memfd_create" for the result channel, "fork",
/// "forkserver", "posix_spawn") when
/// the OS refuses, with no child left behind; std::bad_alloc; whatever
/// copying or moving fn and args throws. What fn throws comes back from
/// get(), not from here.
/// Thread safety: any thread (each call makes its own child and channel).
/// A function that cannot be called so, takes a non-const lvalue reference
/// or returns what cannot be transferred fails to compile with one
/// message saying which.
template <class F, class... Args>
future<async_result_t<F, Args...>> async(async_options options, F&& fn,
                                         Args&&... args) {
  using result = async_result_t<F, Args...>;
  if constexpr (!detail::check_async_task<std::decay_t<F>,
                                          std::decay_t<Args>...>()) {
    return future<result>();  // one static_assert has said why
  } else {
    const multiproc::start_method method =
        detail::async_start_method(options.start_method);
    std::unique_ptr<detail::async_core> core =
        detail::make_async_core(options.timeout);
    const int fd = core->channel_fd();
    const std::int64_t deadline_ns = core->deadline_ns();
    process_options child_options;
    child_options.name = std::move(options.name);
    child_options.limits = options.limits;
    child_options.start_method = method;
    using fn_type = std::decay_t<F>;
    if constexpr (detail::is_portable_target<
                      fn_type, std::tuple<std::decay_t<Args>...>>) {
      if (method != multiproc::start_method::fork) {
        // The channel keeps its number in the child (a passed fd).
        std::uint64_t function = 0;
        if constexpr (detail::is_function_pointer<fn_type>) {
          function = detail::name_function(fn_type(fn)).pack();
        }
        multiproc::process child(
            std::move(child_options),
            detail::portable_async_body<result, fn_type,
                                        std::decay_t<Args>...>{},
            fd, deadline_ns, function, std::forward<Args>(args)...);
        core->start(child);  // a handle: copies share the state
        return future<result>(std::move(core));
      }
    }
    // Fork, or a target that cannot travel: then start() refuses it with
    // the contract's usage_error, naming the method.
    multiproc::process child(
        std::move(child_options),
        [fd, deadline_ns](std::decay_t<F>& target,
                          std::decay_t<Args>&... target_args) {
          detail::run_in_child<result>(fd, deadline_ns, target, target_args...);
        },
        std::forward<F>(fn), std::forward<Args>(args)...);
    core->start(child);  // a handle: copies share the state
    return future<result>(std::move(core));
  }
}

/// As async(async_options{}, fn, args...).
/// Python: ProcessPoolExecutor.submit(fn, *args), as above.
/// Errors: as async(options, fn, args...).
template <class F, class... Args>
requires(!std::same_as<std::remove_cvref_t<F>, async_options>)
    future<async_result_t<F, Args...>> async(F&& fn, Args&&... args) {
  return multiproc::async(async_options{}, std::forward<F>(fn),
                          std::forward<Args>(args)...);
}

/// async(options, fn, args...).get(): runs fn in a child and waits for its
/// result.
/// Python: executor.submit(fn, *args).result().
/// Errors: as async() and future::get(): fn's exception, process_died,
/// timeout_error, and the errors of starting the child.
template <class F, class... Args>
async_result_t<F, Args...> call(async_options options, F&& fn, Args&&... args) {
  return multiproc::async(std::move(options), std::forward<F>(fn),
                          std::forward<Args>(args)...)
      .get();
}

/// async(fn, args...).get().
/// Python: executor.submit(fn, *args).result().
/// Errors: as call(options, fn, args...).
template <class F, class... Args>
requires(!std::same_as<std::remove_cvref_t<F>, async_options>)
    async_result_t<F, Args...> call(F&& fn, Args&&... args) {
  return multiproc::async(std::forward<F>(fn), std::forward<Args>(args)...)
      .get();
}

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
