// multiproc/synchronize.hpp — locks, semaphores and events shared between
// processes, that survive a dead holder (API.md Part 4).
//
//   mp::lock l;                          // Python: multiprocessing.Lock()
//   mp::process child([l]() mutable {
//     std::lock_guard g(l);              // with l:
//     report("from the child");
//   });
//   child.start();
//   if (auto r = l.acquire(2s); r.owner_died()) {
//     // the child ended holding it: taken over, repair what it left
//   }
//
// Every type here is a handle to one object in shared memory, like
// `process`: copies — in this process, or in children through fork — refer
// to the same object; copying and moving are cheap, noexcept and never
// leave the source empty. An object is reached by other processes only by
// inheritance: create it before start()/async()/the pool and capture it or
// pass it as an argument. Nothing is named: no sem_open, no /dev/shm entry,
// no file descriptor per object (one for all of them), no helper thread or
// process; a program holds millions of them.
//
// Death. When a process ends holding a lock — crash, kill, _exit, return
// from its target, exec — the lock is taken over by the next acquirer, at
// once or within 100 ms for one already waiting, and the acquisition says
// so with owner_died(). Nothing is poisoned. Waits spin briefly, then
// sleep on a futex, on the monotonic clock; a signal never shortens them.
//
// Thread safety: every member may be called from any thread of any
// process at once. Memory order: a release() synchronizes with the
// acquire() it lets through, across processes.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <variant>

#include "multiproc/detail/deadline.hpp"
#include "multiproc/detail/sync_acquire.hpp"
#include "multiproc/detail/sync_cell.hpp"
#include "multiproc/detail/sync_handle_traits.hpp"
#include "multiproc/errors.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

namespace detail::sync {
// The shared state of each type, in src/sync/.
struct rlock_state;
struct semaphore_state;
struct event_state;
struct condition_state;
struct barrier_state;
}  // namespace detail::sync

/// Python's Lock: not reentrant, released by any thread or process.
///
/// The acquire family: acquire(), acquire(bool), acquire(timeout),
/// acquire_until(deadline), release(), and std's lock(), try_lock(),
/// try_lock_for(), try_lock_until(), unlock() (so std::lock_guard,
/// unique_lock, scoped_lock and std::lock work). The holder's own
/// acquire(false) is false, its acquire(t) times out and its acquire()
/// waits forever, as in Python.
///
/// Errors: construction throws std::system_error when the shared arena
/// cannot be mapped or is full. release() of a lock that is not held throws
/// usage_error("semaphore or lock released too many times").
/// Python: multiprocessing.Lock. The class is `mutex` because C++ forbids a
/// member lock() in a class named `lock`; `mp::lock` is its alias.
class mutex : public detail::sync::acquire_family<mutex> {
 public:
  /// An unlocked lock. Python: multiprocessing.Lock().
  /// Errors: std::system_error when the shared arena cannot be mapped or is
  /// full.
  mutex();
  /// Frees the lock, whoever holds it (any thread or process).
  /// Python: Lock.release().
  /// Errors: usage_error("semaphore or lock released too many times") when
  /// it is not held.
  void release();
  /// The current hold was taken over from a holder that ended; false again
  /// after release(). Python: none (a dead holder's Lock stays held).
  /// Errors: none.
  bool owner_died() const;
  /// Held by anyone, in any process (a holder that ended holds nothing).
  /// Exact across processes. Python 3.14: Lock.locked().
  /// Errors: none.
  bool locked() const;

 private:
  friend class detail::sync::acquire_family<mutex>;
  acquire_result try_acquire();
  acquire_result acquire_steady(const std::optional<detail::steady_deadline>&);
  std::uint32_t& word() const noexcept;
  friend std::uint64_t handle_birth(const mutex& h) noexcept {
    return h.cell_.birth();
  }
  detail::sync::cell_ref cell_;
};
using lock = mutex;

/// Python's RLock: owned by a thread, reentrant to any depth. When the
/// owning thread ends holding it (alone or with its process), the next
/// acquirer takes it over with owner_died() at depth 1: one release()
/// frees it.
///
/// Errors: as mutex; release() by a thread that does not own it (not
/// held, another thread, another process) throws usage_error("attempt to
/// release recursive lock not owned by thread").
/// Python: multiprocessing.RLock.
class rlock : public detail::sync::acquire_family<rlock> {
 public:
  /// An unowned recursive lock. Python: multiprocessing.RLock().
  /// Errors: as mutex().
  rlock();
  /// Drops one level; the last one frees it. Python: RLock.release().
  /// Errors: usage_error("attempt to release recursive lock not owned by
  /// thread") when the calling thread does not own it; std::system_error
  /// (EAGAIN) on a thread's first use of any lock when all participant
  /// slots are live.
  void release();
  /// As mutex::owner_died(). Python: none (a dead owner's RLock cannot be
  /// freed). Errors: none.
  bool owner_died() const;
  /// Owned by any thread, in any process (an owner that ended owns nothing).
  /// Python 3.14: RLock.locked(). Errors: none.
  bool locked() const;

 private:
  friend class detail::sync::acquire_family<rlock>;
  friend class condition;
  bool is_owned() const;        // by the calling thread
  std::uint32_t release_all();  // every level; returns the depth
  acquire_result restore(std::uint32_t depth);  // acquire(), then that depth
  acquire_result try_acquire();
  acquire_result acquire_steady(const std::optional<detail::steady_deadline>&);
  acquire_result took(int outcome);
  detail::sync::rlock_state& shared() const noexcept;
  friend std::uint64_t handle_birth(const rlock& h) noexcept {
    return h.cell_.birth();
  }
  detail::sync::cell_ref cell_;
};

/// Options of semaphore and bounded_semaphore. Python: none (Python's
/// permits of a dead process are always lost).
struct semaphore_options {
  /// Permits a process held when it ended come back (promptly), and each
  /// acquisition that takes one reports owner_died(). For resource counts
  /// where each process releases what it acquired; on a semaphore used for
  /// signalling it would hand out permits nobody released.
  bool reclaim_on_death = false;
};

/// Python's Semaphore. release() past the initial value is allowed up to
/// max_value; get_value() is exact.
///
/// Permits of a process that ended (its acquisitions minus its releases,
/// never below 0) are lost by default, as in Python, and counted by
/// lost_permits(); with reclaim_on_death they come back. The semaphore
/// keeps this account for up to 8 processes holding permits at once;
/// permits of further processes are neither counted nor reclaimed, and a
/// process that dies within a few instructions of an acquire or release
/// may lose one permit uncounted (never counted twice, so a bounded
/// semaphore is never raised past its bound).
///
/// Errors: semaphore(n) with n < 0 throws usage_error("semaphore initial
/// value must be >= 0"); release() at max_value throws usage_error(
/// "semaphore or lock released too many times"); construction as mutex.
/// Python: multiprocessing.Semaphore.
class semaphore : public detail::sync::acquire_family<semaphore> {
 public:
  static constexpr int max_value = 2147483647;  // SEM_VALUE_MAX
  /// A semaphore with `value` permits. Python: multiprocessing.Semaphore(
  /// value).
  /// Errors: usage_error("semaphore initial value must be >= 0") when
  /// value < 0; std::system_error as mutex().
  explicit semaphore(int value = 1, semaphore_options options = {});
  /// Gives one permit back, waking one waiter. Python: Semaphore.release().
  /// Errors: usage_error("semaphore or lock released too many times") at
  /// max_value (at the initial value for a bounded_semaphore);
  /// std::system_error (EAGAIN) on this process's first use of any lock
  /// when all participant slots are live.
  void release();
  /// Exact: the permits available now. Python: get_value().
  /// Errors: none.
  int get_value() const;
  /// Permits held by processes that ended and not given back (0 with
  /// reclaim_on_death). Python: none. Errors: none.
  std::size_t lost_permits() const;

 protected:
  semaphore(int value, int maximum, semaphore_options options);

 private:
  friend class detail::sync::acquire_family<semaphore>;
  acquire_result try_acquire();
  acquire_result acquire_steady(const std::optional<detail::steady_deadline>&);
  detail::sync::semaphore_state& shared() const noexcept;
  friend std::uint64_t handle_birth(const semaphore& h) noexcept {
    return h.cell_.birth();
  }
  detail::sync::cell_ref cell_;
};

/// Python's BoundedSemaphore: release() when the value is the initial one
/// throws usage_error("semaphore or lock released too many times"),
/// atomically — the value is never above it at any observation, whatever
/// number of processes race. bounded_semaphore(0) is allowed.
class bounded_semaphore : public semaphore {
 public:
  /// A semaphore bounded by its initial `value`.
  /// Python: multiprocessing.BoundedSemaphore(value).
  /// Errors: as semaphore(value, options).
  explicit bounded_semaphore(int value = 1, semaphore_options options = {});
};

/// Python's Condition, over a mutex or an rlock (a new rlock by default,
/// as in Python). notify() and notify_all() never wait for a waiter: a
/// waiter that died inside wait() is not counted, cannot delay a notify
/// and cannot absorb one (gh-75158, glibc bug 21422). notify(n) wakes
/// exactly min(n, live waiters) of those waiting when it was called, in
/// the order they began waiting; wait() returns true only after a notify
/// counted it (no spurious wake-ups), false at its timeout.
///
/// wait() releases the lock completely (every rlock level) and restores
/// the same depth before returning; if that re-acquisition takes the lock
/// over from a holder that ended, owner_died() is true.
///
/// The acquire family and owner_died() are those of its lock.
///
/// Errors: wait*() without holding the lock throws usage_error("must
/// acquire() condition before using wait()"); notify*() without it throws
/// usage_error("lock is not owned") — always, where Python's asserts vanish
/// under -O. "Holding" a mutex-based condition means the mutex is locked
/// (by anyone, as in Python); an rlock must be owned by the calling thread.
/// Python: multiprocessing.Condition.
class condition : public detail::sync::acquire_family<condition> {
 public:
  /// A condition over a new rlock. Python: multiprocessing.Condition().
  /// Errors: as mutex().
  condition();
  /// A condition over `with_lock`, shared with its other handles.
  /// Python: multiprocessing.Condition(lock).
  /// Errors: as mutex().
  explicit condition(mutex with_lock);
  explicit condition(rlock with_lock);
  /// Releases its lock. Python: Condition.release().
  /// Errors: those of the lock's release().
  void release();
  /// Its lock's owner_died(). Python: none. Errors: none.
  bool owner_died() const;

  /// Releases the lock, waits for a notify, re-acquires it.
  /// Python: Condition.wait().
  /// Errors: usage_error("must acquire() condition before using wait()")
  /// when the lock is not held; std::system_error when the shared arena is
  /// full.
  void wait() { (void)wait_steady(std::nullopt); }
  /// False: timed out. Python: Condition.wait(timeout).
  /// Errors: as wait().
  template <class Rep, class Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_steady(detail::deadline_after(timeout));
  }
  /// As wait(timeout), until `deadline` on `Clock`. Python: none (wait(t)).
  /// Errors: as wait().
  template <class Clock, class Duration>
  bool wait_until(std::chrono::time_point<Clock, Duration> deadline) {
    // One wait per call, so that a notify is never consumed twice.
    return wait_steady(detail::steady_deadline_once(deadline));
  }
  /// std's spelling: while (!pred()) wait(); Python: wait_for(pred).
  /// Errors: as wait(), and whatever `pred` throws.
  template <std::predicate Predicate>
  void wait(Predicate pred) {
    while (!pred()) wait();
  }
  /// Python's wait_for: returns the predicate's last value.
  /// Errors: as wait(), and whatever `pred` throws.
  template <class Predicate>
  auto wait_for(Predicate pred) {
    auto result = pred();
    while (!result) {
      wait();
      result = pred();
    }
    return result;
  }
  /// Python's wait_for(pred, timeout): the predicate's last value, falsy
  /// when `timeout` passed first.
  /// Errors: as wait(), and whatever `pred` throws.
  template <class Predicate, class Rep, class Period>
  auto wait_for(Predicate pred, std::chrono::duration<Rep, Period> timeout) {
    const auto deadline = detail::deadline_after(timeout);
    auto result = pred();
    while (!result) {
      const bool notified = wait_steady(deadline);
      result = pred();
      if (!notified) break;
    }
    return result;
  }
  /// Wakes up to `n` of the live waiters. Python: Condition.notify(n).
  /// Errors: usage_error("lock is not owned") when the lock is not held.
  void notify(int n = 1);
  /// Wakes every live waiter. Python: Condition.notify_all().
  /// Errors: as notify().
  void notify_all();

 private:
  friend class detail::sync::acquire_family<condition>;
  acquire_result try_acquire();
  acquire_result acquire_steady(const std::optional<detail::steady_deadline>&);
  bool wait_steady(const std::optional<detail::steady_deadline>& deadline);
  bool is_owned() const;
  detail::sync::condition_state& shared() const noexcept;
  std::variant<mutex, rlock> lock_;
  friend std::uint64_t handle_birth(const condition& h) noexcept {
    return h.cell_.birth();
  }
  detail::sync::cell_ref cell_;
};

/// Python's Event. set() never waits for another process and is
/// async-signal-safe: a signal handler may set the event the interrupted
/// thread waits on (gh-85772 deadlocks in Python). is_set() never blocks.
/// A waiter that died cannot delay set().
///
/// Errors: construction as mutex; nothing else throws.
/// Python: multiprocessing.Event.
class event {
 public:
  /// A clear event. Python: multiprocessing.Event().
  /// Errors: as mutex().
  event();
  /// The flag, without blocking. Python: Event.is_set().
  bool is_set() const noexcept;
  /// Sets the flag and wakes every waiter. Async-signal-safe.
  /// Python: Event.set().
  void set() noexcept;
  /// Clears the flag. Python: Event.clear().
  void clear() noexcept;
  /// Waits until the flag is set. Python: Event.wait().
  /// Errors: none.
  void wait() { (void)wait_steady(std::nullopt); }
  /// The flag at return: false when `timeout` passed unset.
  /// Python: Event.wait(timeout). Errors: none.
  template <class Rep, class Period>
  bool wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_steady(detail::deadline_after(timeout));
  }
  /// As wait(timeout), until `deadline` on `Clock`. Python: none.
  /// Errors: none.
  template <class Clock, class Duration>
  bool wait_until(std::chrono::time_point<Clock, Duration> deadline) {
    return detail::wait_until_deadline(
        deadline, [&](const std::optional<detail::steady_deadline>& at) {
          return wait_steady(at);
        });
  }

 private:
  bool wait_steady(const std::optional<detail::steady_deadline>& deadline);
  detail::sync::event_state& shared() const noexcept;
  friend std::uint64_t handle_birth(const event& h) noexcept {
    return h.cell_.birth();
  }
  detail::sync::cell_ref cell_;
};

/// Options of barrier. Python: Barrier's `action` and `timeout` arguments.
struct barrier_options {
  /// Run once per trip, by the party that trips it (the last to arrive),
  /// before anyone is released. If it throws, that exception leaves its
  /// wait() and the others get broken_barrier_error (action_failed).
  std::function<void()> action{};
  /// The default timeout of wait().
  std::optional<std::chrono::nanoseconds> timeout{};
};

/// Python's Barrier. wait() returns the arrival index 0 .. parties-1; the
/// last to arrive trips it. A timeout breaks it for everyone (timeout), as
/// do abort() and reset() (for the parties waiting then). Broken stays
/// broken until reset(); wait() on a broken barrier throws at once.
///
/// A party that ends while waiting (or while running the action) breaks
/// the barrier promptly with party_died: every party waiting then, and
/// every wait() until reset(), throws — never a hang (gh-123899). A party
/// that ends before arriving is indistinguishable from a late one: only a
/// timeout ends that wait. Tripping never waits for another process.
///
/// Errors: barrier(n) with n < 1 throws usage_error("parties must be > 0");
/// wait() throws broken_barrier_error with its cause(); construction as
/// mutex.
/// Python: multiprocessing.Barrier.
class barrier {
 public:
  /// A barrier for `parties` parties. Python: multiprocessing.Barrier(
  /// parties, action, timeout).
  /// Errors: usage_error("parties must be > 0") when parties < 1;
  /// std::system_error as mutex().
  explicit barrier(int parties, barrier_options options = {});
  /// Waits for the other parties, at most options.timeout if set; returns
  /// the arrival index. Python: Barrier.wait().
  /// Errors: broken_barrier_error, with its cause(), when the barrier is or
  /// becomes broken; whatever the action throws, in the party that ran it;
  /// std::system_error when the shared arena is full or all participant
  /// slots are live.
  int wait() {
    return wait_steady(timeout_ ? detail::deadline_after(*timeout_)
                                : std::nullopt);
  }
  /// As wait(), with `timeout` instead of the default.
  /// Python: Barrier.wait(timeout). Errors: as wait().
  template <class Rep, class Period>
  int wait(std::chrono::duration<Rep, Period> timeout) {
    return wait_steady(detail::deadline_after(timeout));
  }
  /// As wait(timeout), until `deadline` on `Clock`. Python: none.
  /// Errors: as wait().
  template <class Clock, class Duration>
  int wait_until(std::chrono::time_point<Clock, Duration> deadline) {
    // One wait per call: a trip must not be waited for twice.
    return wait_steady(detail::steady_deadline_once(deadline));
  }
  /// Back to the empty, unbroken state; parties waiting now get
  /// broken_barrier_error (reset). Python: Barrier.reset().
  /// Errors: std::system_error (EAGAIN) on a thread's first use of any
  /// lock when all participant slots are live.
  void reset();
  /// Breaks the barrier (abort) until reset(). Python: Barrier.abort().
  /// Errors: as reset().
  void abort();
  /// The number of parties. Python: Barrier.parties.
  int parties() const noexcept { return parties_; }
  /// Live parties blocked in wait(). Python: Barrier.n_waiting.
  /// Errors: as reset().
  int n_waiting() const;
  /// Whether it is broken. Python: Barrier.broken.
  /// Errors: as reset().
  bool broken() const;

 private:
  int wait_steady(const std::optional<detail::steady_deadline>& deadline);
  detail::sync::barrier_state& shared() const noexcept;
  int parties_;
  std::shared_ptr<const std::function<void()>> action_;
  std::optional<std::chrono::nanoseconds> timeout_;
  friend std::uint64_t handle_birth(const barrier& h) noexcept {
    return h.cell_.birth();
  }
  detail::sync::cell_ref cell_;
};

namespace detail::sync {
/// Marks mutex as a handle that may be inherited by children; no Python
/// equivalent.
template <>
struct is_handle<mutex> : std::true_type {
  static constexpr const char* python_name = "Lock";
};
/// Marks rlock as a handle that may be inherited by children; no Python
/// equivalent.
template <>
struct is_handle<rlock> : std::true_type {
  static constexpr const char* python_name = "RLock";
};
/// Marks semaphore as a handle that may be inherited by children; no Python
/// equivalent.
template <>
struct is_handle<semaphore> : std::true_type {
  static constexpr const char* python_name = "Semaphore";
};
/// Marks bounded_semaphore as a handle that may be inherited by children; no
/// Python equivalent.
template <>
struct is_handle<bounded_semaphore> : std::true_type {
  static constexpr const char* python_name = "BoundedSemaphore";
};
/// Marks condition as a handle that may be inherited by children; no Python
/// equivalent.
template <>
struct is_handle<condition> : std::true_type {
  static constexpr const char* python_name = "Condition";
};
/// Marks event as a handle that may be inherited by children; no Python
/// equivalent.
template <>
struct is_handle<event> : std::true_type {
  static constexpr const char* python_name = "Event";
};
/// Marks barrier as a handle that may be inherited by children; no Python
/// equivalent.
template <>
struct is_handle<barrier> : std::true_type {
  static constexpr const char* python_name = "Barrier";
};
}  // namespace detail::sync

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
