// multiproc/process.hpp — Python's multiprocessing.Process for C++.
//
// A `process` runs a callable in a forked child. Start it, join it (with or
// without a timeout), ask whether it is alive and how it ended, with the
// names, behaviour and error messages of CPython's multiprocessing:
//
//   namespace mp = multiproc;
//   mp::process worker([](int n) { crunch(n); }, 42);
//   worker.start();
//   if (!worker.join(std::chrono::seconds(2))) worker.terminate();
//   worker.join();
//   std::cout << *worker.exitcode();   // 0, or -15 after terminate()
//
// Waits are exact and event driven: the library holds a pidfd on the child
// and waits on the child itself, never on a pipe a grandchild can keep open,
// and never in a sleep loop.
//
// A `process` is a handle: copies refer to the same child, like a second
// Python reference to one Process object. Copying is cheap and noexcept, so
// `std::vector<process>` works.
//
// Thread safety: every member may be called from several threads at once on
// handles to the same child; concurrent joiners all see the real exit code.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <concepts>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "multiproc/detail/deadline.hpp"
#include "multiproc/detail/unique_callable.hpp"
#include "multiproc/errors.hpp"

namespace multiproc {

namespace detail {
struct process_state;
}  // namespace detail

/// Options fixed at construction.
struct process_options {
  /// Empty: generated Python style (`Process-1`, `Process-1:2`, ...).
  std::string name{};
  /// Empty: inherit the creator's flag (false in the main process, true in
  /// a daemon child). A daemon child is sent SIGTERM when its creator ends.
  std::optional<bool> daemon{};
  /// Beyond Python: the child gets SIGKILL if the process that created it
  /// dies first. Follows the creating process, not the thread that called
  /// start().
  bool kill_on_parent_death = false;
};

class process {
 public:
  /// A process with no target: run() does nothing. Consumes a name counter.
  process();
  /// For subclasses that override run().
  explicit process(process_options options);
  /// The child runs std::invoke(target, args...) on its own copies of
  /// `target` and `args`. Nothing is serialized: the copies reach the child
  /// by fork. The parent drops its copies at start() (CPython bpo-30775).
  template <class F, class... Args>
  requires(
      !std::derived_from<std::remove_cvref_t<F>, process> &&
      !std::same_as<std::remove_cvref_t<F>, process_options> &&
      std::invocable<std::decay_t<F>&,
                     std::decay_t<Args>&...>) explicit process(F&& target,
                                                               Args&&... args)
      : process(bound_target, process_options{},
                detail::unique_callable::bind(std::forward<F>(target),
                                              std::forward<Args>(args)...)) {}
  template <class F, class... Args>
  requires std::invocable < std::decay_t<F>
  &, std::decay_t<Args>&... >
         process(process_options options, F&& target, Args&&... args)
      : process(bound_target, std::move(options),
                detail::unique_callable::bind(std::forward<F>(target),
                                              std::forward<Args>(args)...)) {}

  /// Copies are handles to the same child. A copy of a subclass object is a
  /// plain handle: it can join and signal, and its run() is the default.
  process(const process& other) noexcept = default;
  process& operator=(const process& other) noexcept = default;

  /// Never kills and never blocks: a running child whose last handle goes
  /// away keeps running and is joined at program exit like any other.
  virtual ~process();

  /// What the child executes. The default calls the target. Subclasses
  /// override it; it runs in the child on the object that was started.
  virtual void run();

  /// Forks the child and returns without waiting for it to run. Flushes
  /// stdout/stderr and std::cout/cerr/clog first so buffered output is not
  /// duplicated.
  /// Errors: usage_error (`cannot start a process twice`, `can only start a
  /// process object created by current process`, `daemonic processes are not
  /// allowed to have children`, `process object is closed`);
  /// std::system_error when the OS refuses (the object stays unstarted).
  void start();

  /// Waits until the child ends; returns at once if it already has.
  /// Errors: usage_error (`can only join a child process`, `can only join a
  /// started process`, `process object is closed`).
  void join();
  /// Waits at most `timeout`. Returns true once the child has ended, false
  /// on timeout. A zero or negative timeout polls once. Python's join(t)
  /// returns None either way; the bool saves a call to is_alive().
  template <class Rep, class Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    auto deadline = detail::deadline_after(timeout);
    if (!deadline) {
      join();
      return true;
    }
    return join_steady(*deadline);
  }
  /// As join(timeout), until an absolute time on any clock. Clocks other
  /// than steady_clock are re-read after each wake, so a clock that jumps
  /// is followed. A deadline that has passed (time_point::min() included)
  /// polls once; time_point::max() of any clock waits without limit.
  template <class Clock, class Duration>
  bool join_until(std::chrono::time_point<Clock, Duration> deadline) {
    return detail::wait_until_deadline(
        deadline, [this](std::optional<detail::steady_deadline> steady) {
          return join_steady(steady);
        });
  }

  /// True from start() until the child has ended. Reaps a child it finds
  /// ended. False before start(). True for current_process().
  /// Errors: usage_error (`can only test a child process` on an object
  /// created by another process, `process object is closed`).
  bool is_alive() const;
  /// Empty while running or not started (and when asked from a process that
  /// is not the parent); n after exit(n); 1 after an uncaught exception; -N
  /// when killed by signal N.
  std::optional<int> exitcode() const;
  /// Empty before start(). The pid stays set after the child ends; use the
  /// handle, not the pid, to signal it.
  std::optional<pid_t> pid() const;
  std::string name() const;
  void set_name(std::string name);
  bool daemon() const;
  /// Errors: usage_error (`process has already started`).
  void set_daemon(bool daemon);
  /// An fd that becomes readable when the child ends (a pidfd). Readiness
  /// does not reap. Owned by the process object: valid until close().
  /// Errors: usage_error (`process not started`).
  int sentinel() const;

  /// SIGTERM / SIGKILL / SIGINT through the pidfd. No-op once the child has
  /// ended; never signals a reaped (possibly reused) pid. Does not wait.
  void terminate();
  void kill();
  void interrupt();

  /// Stops the child, politely first: SIGTERM, then waits up to `grace`
  /// for it to end; if it has not, SIGKILL, and waits for it. Returns true
  /// when it ended without SIGKILL (within the grace, or before the call),
  /// false when it had to be killed. Reaps it either way, so exitcode() is
  /// set afterwards (-15 for a default SIGTERM, -9 after escalation, or its
  /// own code if it handled SIGTERM and exited).
  /// Errors: as join() (`can only join a started process`, `can only join
  /// a child process`, `process object is closed`); std::system_error when
  /// a signal cannot be sent.
  /// Python: `p.terminate(); p.join(grace); if p.is_alive(): p.kill();
  /// p.join()`, which Python leaves to the user.
  ///
  ///   if (!worker.stop(std::chrono::seconds(2)))
  ///     log("worker ignored SIGTERM and was killed");
  bool stop(std::chrono::nanoseconds grace = std::chrono::seconds(1));

  /// Releases the pidfd. Idempotent; allowed before start(). Afterwards only
  /// name() and daemon() work; the rest throw `process object is closed`.
  /// Errors: usage_error (`Cannot close a process while it is still
  /// running. You should first call join() or terminate().`).
  void close();

  /// The process-wide state behind this handle (internal).
  const std::shared_ptr<detail::process_state>& state() const noexcept {
    return state_;
  }
  /// Wraps existing state in a handle (internal: current_process() etc.).
  explicit process(std::shared_ptr<detail::process_state> state) noexcept;

 private:
  struct bound_target_t {};
  static constexpr bound_target_t bound_target{};
  process(bound_target_t, process_options options,
          detail::unique_callable target);
  bool join_steady(std::optional<detail::steady_deadline> deadline);
  void send_signal(int signo);

  std::shared_ptr<detail::process_state> state_;
};

/// The running process: `MainProcess` in the main process, the started
/// object (as a plain handle) in a child.
process current_process();
/// The creator of this process, or empty in the main process. Its name()
/// and pid() are the creator's; is_alive() and join(timeout) follow the
/// creator's life exactly (a pidfd, not a pipe a sibling can hold open);
/// exitcode() is always empty.
std::optional<process> parent_process();
/// The started children of this process that have not ended. Reaps those
/// that have.
std::vector<process> active_children();
/// The CPUs this process may run on: its affinity mask, further limited by
/// a cgroup v2 CPU quota. Python's cpu_count() counts every CPU instead.
unsigned cpu_count();

namespace detail {
std::vector<process> wait_steady(std::span<const process> processes,
                                 std::optional<steady_deadline> deadline);
}

/// Blocks until at least one of `processes` has ended. Returns those that
/// have ended. Does not reap. (Python's multiprocessing.connection.wait on
/// sentinels.) An empty list returns at once.
std::vector<process> wait(std::span<const process> processes);
/// As above, but gives up after `timeout` (zero or negative polls once) and
/// then returns the (possibly empty) set of ended processes.
template <class Rep, class Period>
std::vector<process> wait(std::span<const process> processes,
                          std::chrono::duration<Rep, Period> timeout) {
  auto deadline = detail::deadline_after(timeout);
  return detail::wait_steady(processes, deadline);
}

/// Python's sys.exit. In a child: unwinds the calling thread's stack when it
/// is the thread running run(), then ends the child with `code & 0xFF`
/// after the usual exit steps (flush, terminate daemon children, join the
/// rest). From any other thread of the child it performs the exit steps and
/// ends the whole child at once. In the main process: std::exit(code), so
/// exit-time joins run.
[[noreturn]] void exit(int code);

}  // namespace multiproc
