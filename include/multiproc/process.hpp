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
//
// DANGER: fork in a threaded program. Only the thread that calls start()
// exists in the child. A lock another thread held at that moment (yours, or
// a library's) stays locked forever in the child. glibc keeps malloc usable
// and multiproc resets its own state there; nothing can fix other locks.
// Start children before threads, or let the child touch nothing another
// thread may hold (README, Gotchas). Python's fork start method has the
// same hazard.
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
#include "multiproc/limits.hpp"
#include "multiproc/start_method.hpp"
#include "multiproc/usage.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

namespace detail {
struct process_state;
}  // namespace detail

/// Options fixed at construction.
/// Python: the `name=` and `daemon=` keyword arguments of Process().
struct process_options {
  /// Empty: generated Python style (`Process-1`, `Process-1:2`, ...).
  /// Python: Process(name=...).
  std::string name{};
  /// Empty: inherit the creator's flag (false in the main process, true in
  /// a daemon child). A daemon child is sent SIGTERM when its creator ends.
  /// Python: Process(daemon=...), None meaning inherit.
  std::optional<bool> daemon{};
  /// Beyond Python: the child gets SIGKILL if the process that created it
  /// dies first. Follows the creating process, not the thread that called
  /// start(). Python: no equivalent (prctl(PR_SET_PDEATHSIG)).
  bool kill_on_parent_death = false;
  /// Beyond Python: resource caps the child sets on itself before run()
  /// (multiproc/limits.hpp). Empty: it inherits this process's limits.
  /// Python: none (resource.setrlimit() at the top of the target).
  std::optional<multiproc::limits> limits{};
  /// How start() makes the child (multiproc/start_method.hpp). Empty: the
  /// default at start() (get_start_method()). Under spawn the target must
  /// be portable, or start() throws usage_error.
  /// Python: Process objects of a context (ctx.Process).
  std::optional<multiproc::start_method> start_method{};
};

/// A handle to a child process that runs a callable (see the top of this
/// file). Python: multiprocessing.Process.
/// Thread safety: every member may be called from several threads at once.
class process {
 public:
  /// A process with no target: run() does nothing. Consumes a name counter.
  /// Python: Process().
  /// Errors: std::bad_alloc.
  process();
  /// For subclasses that override run().
  /// Python: a Process subclass calling super().__init__(name=..., daemon=...).
  /// Errors: std::bad_alloc; usage_error and std::system_error for
  /// options.limits that cannot be applied (multiproc/limits.hpp).
  explicit process(process_options options);
  /// The child runs std::invoke(target, args...) on its own copies of
  /// `target` and `args`. Nothing is serialized: the copies reach the child
  /// by fork. The parent drops its copies at start() (CPython bpo-30775).
  /// Python: Process(target=f, args=(...)) (and with options: name=,
  /// daemon=), without pickling target or args.
  /// Errors: std::bad_alloc; whatever copying or moving `target` and
  /// `args` throws; for options.limits, as process(process_options).
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
  /// Python: a second reference to the same Process object.
  process(const process& other) noexcept = default;
  process& operator=(const process& other) noexcept = default;

  /// Never kills and never blocks: a running child whose last handle goes
  /// away keeps running and is joined at program exit like any other.
  /// Python: dropping the last reference (the child stays in
  /// active_children() and is joined at exit).
  virtual ~process();

  /// What the child executes. The default calls the target. Subclasses
  /// override it; it runs in the child on the object that was started.
  /// Python: Process.run().
  /// Errors: whatever the target throws. Uncaught in the child, an
  /// exception is reported on stderr and the child exits with code 1, as
  /// Python's traceback and exit code 1.
  virtual void run();

  /// Forks the child and returns without waiting for it to run. Flushes
  /// stdout/stderr and std::cout/cerr/clog first so buffered output is not
  /// duplicated.
  /// Python: Process.start().
  /// Errors: usage_error("cannot start a process twice") when started
  /// before (also on current_process() and parent_process());
  /// usage_error("can only start a process object created by current
  /// process") on a copy inherited through fork;
  /// usage_error("daemonic processes are not allowed to have children")
  /// inside a daemon child; usage_error("process object is closed") after
  /// close(); std::system_error ("fork") when the OS refuses (the object
  /// stays unstarted and can be started again). Under a method other than
  /// fork (options.start_method, else get_start_method()):
  /// usage_error("the 'spawn' start method cannot send this target: ...")
  /// for a target that is not portable (multiproc/start_method.hpp) and
  /// usage_error("a process subclass can only be started with the 'fork'
  /// start method"), both leaving it unstarted; std::system_error
  /// ("posix_spawn") when the OS refuses. In a spawned copy of the program
  /// that has not reached a guard yet, this call is the guard.
  void start();

  /// Waits until the child ends, and reaps it; returns at once if it
  /// already has. Python: Process.join().
  /// Errors: usage_error("can only join a child process") on an object made
  /// by another process (current_process() included);
  /// usage_error("can only join a started process") before start();
  /// usage_error("process object is closed") after close();
  /// std::system_error ("waitid", "ppoll") when the kernel refuses a wait
  /// (not expected).
  void join();
  /// Waits at most `timeout`. Returns true once the child has ended, false
  /// on timeout. A zero or negative timeout polls once; a huge one
  /// (duration::max() included) waits without limit.
  /// Python: Process.join(timeout), which returns None either way; the bool
  /// saves a call to is_alive().
  /// Errors: as join(). A timeout is not an error.
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
  /// Python: no equivalent (join(deadline - time.monotonic())).
  /// Errors: as join(). A deadline that passes is not an error.
  template <class Clock, class Duration>
  bool join_until(std::chrono::time_point<Clock, Duration> deadline) {
    return detail::wait_until_deadline(
        deadline, [this](std::optional<detail::steady_deadline> steady) {
          return join_steady(steady);
        });
  }

  /// True from start() until the child has ended. Reaps a child it finds
  /// ended. False before start(). True for current_process(); for
  /// parent_process(), whether the parent still runs.
  /// Python: Process.is_alive().
  /// Errors: usage_error("can only test a child process") on an object
  /// created by another process (the main process's object seen from a
  /// child included); usage_error("process object is closed") after
  /// close(); std::system_error ("waitid") when reaping fails (not
  /// expected).
  bool is_alive() const;
  /// Empty while running or not started (and when asked from a process that
  /// is not the parent); n after exit(n); 1 after an uncaught exception; -N
  /// when killed by signal N. Reaps a child it finds ended.
  /// Python: Process.exitcode.
  /// Errors: usage_error("process object is closed") after close();
  /// std::system_error ("waitid") when reaping fails (not expected).
  std::optional<int> exitcode() const;
  /// What the child used, from the kernel when it was reaped (user and
  /// system CPU, peak RSS, page faults, context switches; its waited-for
  /// descendants included). Empty while running or not started, when asked
  /// from a process that is not the parent, and when someone else reaped
  /// it. Reaps a child it finds ended, as exitcode().
  /// Python: none per child; resource.getrusage(RUSAGE_CHILDREN) sums every
  /// child waited for.
  /// Errors: usage_error("process object is closed") after close();
  /// std::system_error ("waitid") when reaping fails (not expected).
  std::optional<multiproc::usage> usage() const;
  /// Empty before start(). The pid stays set after the child ends; use the
  /// handle, not the pid, to signal it.
  /// Python: Process.pid (Process.ident).
  /// Errors: usage_error("process object is closed") after close().
  std::optional<pid_t> pid() const;
  /// The name given, or one generated on first use (`Process-1`, a
  /// subclass's own class name for a subclass). Works after close().
  /// Python: Process.name.
  /// Errors: std::bad_alloc.
  std::string name() const;
  /// An empty name is generated again on next use.
  /// Python: Process.name = name (not checked against start(), as there).
  /// Errors: none.
  void set_name(std::string name);
  /// Whether the child is a daemon: sent SIGTERM when its creator ends, and
  /// not allowed children of its own. Works after close().
  /// Python: Process.daemon.
  /// Errors: none.
  bool daemon() const;
  /// Python: Process.daemon = flag.
  /// Errors: usage_error("process has already started") after start()
  /// (allowed again after close(), as Python's check of _popen).
  void set_daemon(bool daemon);
  /// An fd that becomes readable when the child ends (a pidfd). Readiness
  /// does not reap. Owned by the process object: valid until close().
  /// Python: Process.sentinel.
  /// Errors: usage_error("process not started") before start() and on
  /// current_process(); usage_error("process object is closed") after
  /// close().
  int sentinel() const;

  /// SIGTERM / SIGKILL / SIGINT through the pidfd. No-op once the child has
  /// ended; never signals a reaped (possibly reused) pid. Does not wait.
  /// Allowed on a copy inherited through fork (it signals, it cannot join).
  /// Python: Process.terminate(), Process.kill(), Process.interrupt()
  /// (3.14).
  /// Errors: usage_error("process not started") before start() (Python
  /// fails with AttributeError there); usage_error("can only signal a child
  /// process") on current_process() and parent_process() (Python's objects
  /// for them have no such methods); usage_error("process object is
  /// closed") after close(); std::system_error ("pidfd_send_signal") when
  /// the kernel refuses.
  void terminate();
  void kill();
  void interrupt();

  /// Stops the child, politely first: SIGTERM, then waits up to `grace`
  /// for it to end; if it has not, SIGKILL, and waits for it. Returns true
  /// when it ended without SIGKILL (within the grace, or before the call),
  /// false when it had to be killed. Reaps it either way, so exitcode() is
  /// set afterwards (-15 for a default SIGTERM, -9 after escalation, or its
  /// own code if it handled SIGTERM and exited).
  /// Errors: as join() (usage_error("can only join a started process"),
  /// usage_error("can only join a child process"), usage_error("process
  /// object is closed")), checked before any signal is sent;
  /// std::system_error when a signal cannot be sent or a wait fails.
  /// Python: `p.terminate(); p.join(grace); if p.is_alive(): p.kill();
  /// p.join()`, which Python leaves to the user.
  ///
  ///   if (!worker.stop(std::chrono::seconds(2)))
  ///     log("worker ignored SIGTERM and was killed");
  bool stop(std::chrono::nanoseconds grace = std::chrono::seconds(1));

  /// Releases the pidfd. Idempotent; allowed before start(). Afterwards only
  /// name() and daemon() work; the rest throw `process object is closed`.
  /// Reaps a child that has ended but was not joined. No-op on the main
  /// process's object.
  /// Python: Process.close().
  /// Errors: usage_error("Cannot close a process while it is still
  /// running. You should first call join() or terminate().");
  /// std::system_error ("waitid") when reaping fails (not expected).
  void close();

  /// The process-wide state behind this handle (internal).
  /// Python: no equivalent.
  const std::shared_ptr<detail::process_state>& state() const noexcept {
    return state_;
  }
  /// Wraps existing state in a handle (internal: current_process() etc.).
  /// Python: no equivalent.
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
/// Python: multiprocessing.current_process().
/// Errors: none.
process current_process();
/// The creator of this process, or empty in the main process. Its name()
/// and pid() are the creator's; is_alive() and join(timeout) follow the
/// creator's life exactly (a pidfd, not a pipe a sibling can hold open);
/// exitcode() is always empty.
/// Python: multiprocessing.parent_process() (3.8).
/// Errors: none.
std::optional<process> parent_process();
/// The started children of this process that have not ended. Reaps those
/// that have.
/// Python: multiprocessing.active_children().
/// Errors: std::bad_alloc; std::system_error ("waitid") when reaping fails
/// (not expected).
/// Thread safety: any thread.
std::vector<process> active_children();
/// The CPUs this process may run on: its affinity mask, further limited by
/// a cgroup v2 CPU quota; at least 1.
/// Python: os.process_cpu_count() (3.13) without the quota;
/// multiprocessing.cpu_count() counts every CPU of the machine instead.
/// Errors: std::bad_alloc (a failed look at the mask or the cgroup counts
/// as no limit, not as an error).
unsigned cpu_count();

namespace detail {
std::vector<process> wait_steady(std::span<const process> processes,
                                 std::optional<steady_deadline> deadline);
}

/// Blocks until at least one of `processes` has ended. Returns those that
/// have ended, in list order. Does not reap. An empty list returns at once.
/// Python: multiprocessing.connection.wait([p.sentinel for p in ps]),
/// returning the processes instead of their sentinels.
/// Errors: as sentinel() for each process (usage_error("process not
/// started"), usage_error("process object is closed")), checked before
/// waiting; std::system_error ("ppoll") when the kernel refuses.
/// Preconditions: no other thread close()s the processes meanwhile.
std::vector<process> wait(std::span<const process> processes);
/// As above, but gives up after `timeout` (zero or negative polls once) and
/// then returns the (possibly empty) set of ended processes.
/// Python: multiprocessing.connection.wait(sentinels, timeout).
/// Errors: as wait(processes). A timeout is not an error.
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
/// Python: sys.exit(code) (a SystemExit); in a child's run(), as there, a
/// `catch (...)` that does not rethrow stops the unwinding.
/// Errors: none of its own; it does not return. (In the thread running
/// run() it unwinds by an exception of the library's, which run() must let
/// pass.)
[[noreturn]] void exit(int code);

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
