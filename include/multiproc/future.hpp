// multiproc/future.hpp — the result of work done in another process.
//
// A `future<R>` is what multiproc::async() returns: the value the child
// computed, the exception it threw, or the news that it died, timed out or
// was cancelled. It is move-only, like std::future:
//
//   namespace mp = multiproc;
//   mp::future<long> f = mp::async(count_primes, 10'000'000);
//   ...                                   // the child runs meanwhile
//   if (f.wait_for(std::chrono::seconds(1)) == std::future_status::ready)
//     std::cout << f.get() << '\n';       // the value, or the child's
//                                         // exception rethrown
//
// get() throws, instead of returning a value:
//   - the child's exception, as its own type for the standard families and
//     registered types, else multiproc::remote_error (see
//     multiproc/remote_exception.hpp);
//   - multiproc::process_died when the child ended without a result (a
//     crash, a kill, _exit): exitcode() and what() say how it ended;
//   - multiproc::timeout_error when the timeout in async_options passed
//     first (the child has been killed and reaped);
//   - multiproc::cancelled_error after cancel().
//
// Destroying a future whose child still runs kills and reaps the child:
// nobody could read its result any more. Use multiproc::process for
// fire-and-forget work.
//
// A future is ready when its child has ended, not merely when it has
// written its result: a child that waits for children of its own at exit
// is not ready until they finish.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>

#include "multiproc/codec.hpp"
#include "multiproc/detail/deadline.hpp"
#include "multiproc/detail/ready_listener.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/process.hpp"
#include "multiproc/remote_exception.hpp"
#include "multiproc/usage.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

namespace detail {

/// The encoded bytes of a delivered value, and whatever keeps them alive (a
/// buffer, or a mapping of the child's result).
struct result_payload {
  std::span<const std::byte> bytes;
  std::shared_ptr<const void> storage;
};

/// What a look at a future's outcome that does not take it finds.
enum class outcome_state {
  pending,    // not known yet
  value,      // get() would return a value
  failed,     // get() would throw: the child's or task's exception,
              // process_died, timeout_error
  cancelled,  // get() would throw cancelled_error
};

/// What stands behind a future: a child made by async(), or a task in a
/// pool. Implementations are internally synchronized for cancel() and
/// peek() against the waits.
class future_core {
 public:
  virtual ~future_core() = default;
  /// Waits until the outcome is known or `deadline` passes (never, when
  /// empty). Returns whether the outcome is known.
  virtual bool wait_until(
      std::optional<std::chrono::steady_clock::time_point> deadline) = 0;
  /// Once wait_until() has returned true: the value's bytes (empty for
  /// void), or throws what the outcome is. Called at most once.
  virtual result_payload take() = 0;
  /// See future::cancel().
  virtual bool cancel() = 0;
  /// The process doing the work.
  virtual multiproc::process process() const = 0;
  /// What the work used, once the outcome is known; empty before, and where
  /// nobody measured it.
  virtual std::optional<multiproc::usage> usage() const = 0;

  /// Neither blocks nor takes the outcome: pending until wait_until()
  /// would return true at once, then what get() would do.
  virtual outcome_state peek() = 0;
  /// For waiting on many futures at once (multiproc::wait(), as_completed()).
  /// Either returns an fd (>= 0, owned by the core) that poll() reports
  /// readable once the outcome is known, or returns -1 having arranged for
  /// `listener.notify(token)` once it is (at once if it already is).
  /// Errors: std::bad_alloc.
  virtual int subscribe(ready_listener& listener, std::size_t token) = 0;
  /// Undoes subscribe(); afterwards `listener` is not called from here.
  virtual void unsubscribe(ready_listener& listener,
                           std::size_t token) noexcept = 0;

  /// Set by the future when get() takes the outcome.
  std::atomic<bool> retrieved{false};
};

}  // namespace detail

class waitable_future;

/// The eventual result of a function running in a child process.
/// Python: concurrent.futures.Future, move-only and read once (get()).
/// Thread safety: as std::future, one thread uses a future at a time,
/// except that cancel() and process() may be called while another thread
/// waits in get() or wait*().
template <class R>
class future {
 public:
  using value_type = R;

  /// An invalid future (valid() is false), for later move-assignment.
  /// Python: no equivalent.
  future() noexcept = default;
  /// For async() and the pool (internal). Python: no equivalent.
  explicit future(std::unique_ptr<detail::future_core> core) noexcept
      : core_(std::move(core)) {}
  /// Moves the shared state; the source becomes invalid.
  /// Python: no equivalent (a second reference to one Future).
  future(future&&) noexcept = default;
  /// Kills and reaps the child this future held, if it still runs (as the
  /// destructor). Python: no equivalent.
  future& operator=(future&&) noexcept = default;
  future(const future&) = delete;
  future& operator=(const future&) = delete;
  /// Kills and reaps the child if it still runs (SIGKILL, then a wait that
  /// lasts only as long as the kernel takes to end it). A pool task's
  /// future leaves its task to run. Never throws.
  /// Python: no equivalent: a dropped Future's call runs on.
  ~future() = default;

  /// Waits for the child to end and returns its result. The future is then
  /// invalid (valid() is false), whether get() returned or threw; the
  /// child has been reaped.
  /// Python: Future.result(), which may be called again; this one may not.
  /// Errors: the child's exception; process_died; timeout_error;
  /// cancelled_error("future was cancelled") (see the top of this file);
  /// std::future_error (no_state) on an invalid future; codec_error when
  /// the result's bytes do not decode (a user codec that reads what it did
  /// not write); std::system_error when the result cannot be read back
  /// (not expected); usage_error("can only use a pool created by current
  /// process") for a pool task's future used in a forked child.
  R get() {
    detail::future_core& core = require_core();
    core.wait_until(std::nullopt);
    if (core.retrieved.exchange(true)) no_state();
    detail::result_payload payload = core.take();
    if constexpr (!std::is_void_v<R>) {
      return multiproc::decode<R>(payload.bytes);
    }
  }

  /// Waits until the child has ended (and been reaped). Takes nothing.
  /// Python: concurrent.futures.wait([f]).
  /// Errors: std::future_error (no_state) on an invalid future;
  /// std::system_error when the wait fails (not expected);
  /// usage_error("can only use a pool created by current process") for a
  /// pool task's future used in a forked child.
  void wait() const { require_core().wait_until(std::nullopt); }

  /// Waits at most `timeout`: std::future_status::ready once the child has
  /// ended, std::future_status::timeout otherwise (never deferred). A zero
  /// or negative timeout polls; a huge one (duration::max() included)
  /// waits without limit.
  /// Python: concurrent.futures.wait([f], timeout) (Future.result(timeout)
  /// raises TimeoutError instead).
  /// Errors: as wait(). A timeout is not an error.
  template <class Rep, class Period>
  std::future_status wait_for(
      std::chrono::duration<Rep, Period> timeout) const {
    return require_core().wait_until(detail::deadline_after(timeout))
               ? std::future_status::ready
               : std::future_status::timeout;
  }

  /// As wait_for(), until a time on any clock (one other than steady_clock
  /// is re-read after each wake, so a clock that jumps is followed). A
  /// deadline that has passed (time_point::min() included) polls once;
  /// time_point::max() of any clock waits without limit.
  /// Python: no equivalent (wait([f], deadline - time.monotonic())).
  /// Errors: as wait(). A deadline that passes is not an error.
  template <class Clock, class Duration>
  std::future_status wait_until(
      const std::chrono::time_point<Clock, Duration>& deadline) const {
    detail::future_core& core = require_core();
    return detail::wait_until_deadline(
               deadline,
               [&core](std::optional<detail::steady_deadline> steady) {
                 return core.wait_until(steady);
               })
               ? std::future_status::ready
               : std::future_status::timeout;
  }

  /// True until get() or a move from this future.
  /// Python: no equivalent (a Future can be read any number of times).
  bool valid() const noexcept {
    return core_ != nullptr && !core_->retrieved.load();
  }

  /// Kills the child (SIGKILL) and reaps it before returning. Returns true
  /// when that cancelled the future: get() will throw cancelled_error.
  /// Returns false when the child had already ended (its result, exception
  /// or death stands) or the future is invalid.
  /// A pool task is removed from the queue, or stopped by killing (and
  /// replacing) its worker.
  /// Python: Future.cancel(), which cannot stop a running call; this one
  /// can.
  /// Errors: std::system_error when the kill or the wait fails (not
  /// expected); usage_error("can only use a pool created by current
  /// process") for a pool task's future used in a forked child.
  bool cancel() { return valid() ? core_->cancel() : false; }

  /// A handle to the child (to read its pid, name or exitcode). Joining or
  /// signalling it through the handle is allowed; close() on it is not.
  /// Python: no equivalent (an executor hides its processes).
  /// Errors: std::future_error (no_state) on an invalid future;
  /// usage_error("a pool task has no process of its own") for a pool
  /// task's future (its worker serves many tasks).
  multiproc::process process() const { return require_core().process(); }

  /// What the work used, once it has ended: for async(), the child's usage
  /// from the kernel (process::usage()); for a pool task, the task's own
  /// share, measured by its worker around the task (CPU, faults and
  /// switches as differences; max_rss the worker's peak during the task).
  /// Empty while it runs, for a pool task that never ran or whose worker
  /// died, and after cancel() of a pool task. Works after get() too (the
  /// future is then no longer valid(), but still knows this).
  /// Python: none (an executor reports nothing of what a call used).
  /// Errors: std::future_error (no_state) on a default-constructed or
  /// moved-from future; std::system_error when reaping fails (not
  /// expected).
  std::optional<multiproc::usage> usage() const {
    if (!core_) no_state();
    return core_->usage();
  }

 private:
  [[noreturn]] static void no_state() {
    throw std::future_error(std::future_errc::no_state);
  }
  // The core stays until the future is destroyed (get() only marks it
  // retrieved), so that cancel() from another thread never races with
  // get() over the pointer.
  detail::future_core& require_core() const {
    if (!valid()) no_state();
    return *core_;
  }

  // multiproc::wait() and as_completed() reach the core through a view.
  friend class waitable_future;

  std::unique_ptr<detail::future_core> core_;
};

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
