// How a waiter on many futures learns that one of them is ready without a
// thread, a sleep or a poll per future (multiproc/futures_wait.hpp).
//
// A future made by async() needs none of this: its child's pidfd becomes
// readable when the child ends, and poll() waits on many of those at once.
// A pool task has no fd of its own; its record tells the listeners
// registered on it instead, from the thread that sets its outcome.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

/// Told, once, that the future registered with `token` is ready.
class ready_listener {
 public:
  /// Called from the thread that completed the future (a pool's dispatcher,
  /// or a user thread in cancel()), with locks of the future's held: it must
  /// be quick, must not throw and must not call back into the future.
  virtual void notify(std::size_t token) noexcept = 0;

 protected:
  ~ready_listener() = default;
};

/// A std::condition_variable that also tells registered ready_listeners
/// when it is notified. A pool's task_record uses it for `done`, so that
/// the code which sets an outcome and calls done.notify_all() wakes the
/// waiters on many futures too, without knowing about them.
///
/// Thread safety: any thread. Lock order: a caller may hold the mutex the
/// condition is used with while calling add() or notify_all(); the
/// listener list has a mutex of its own, taken last. A notify with no
/// listener registered takes no lock; that is exact when add() runs under
/// the condition's mutex after seeing its predicate false, and the notifier
/// set the predicate under that mutex before notifying (task_record's use).
class notifying_condition {
 public:
  void notify_one() noexcept {
    cv_.notify_one();
    notify_listeners();
  }
  void notify_all() noexcept {
    cv_.notify_all();
    notify_listeners();
  }

  template <class Predicate>
  void wait(std::unique_lock<std::mutex>& lock, Predicate ready) {
    cv_.wait(lock, std::move(ready));
  }
  template <class Clock, class Duration, class Predicate>
  bool wait_until(std::unique_lock<std::mutex>& lock,
                  const std::chrono::time_point<Clock, Duration>& deadline,
                  Predicate ready) {
    return cv_.wait_until(lock, deadline, std::move(ready));
  }
  template <class Rep, class Period, class Predicate>
  bool wait_for(std::unique_lock<std::mutex>& lock,
                const std::chrono::duration<Rep, Period>& timeout,
                Predicate ready) {
    return cv_.wait_for(lock, timeout, std::move(ready));
  }

  /// Registers `listener` to be told with `token` at the next notify.
  /// Errors: std::bad_alloc.
  void add(ready_listener& listener, std::size_t token) {
    std::lock_guard lock(listeners_mutex_);
    listeners_.emplace_back(&listener, token);
    registered_.store(listeners_.size(), std::memory_order_release);
  }
  /// Undoes add(); a pair that is not registered is ignored. Once it
  /// returns, `listener` is not being called from here and will not be.
  void remove(ready_listener& listener, std::size_t token) noexcept {
    std::lock_guard lock(listeners_mutex_);
    auto it = std::find(listeners_.begin(), listeners_.end(),
                        std::pair(&listener, token));
    if (it != listeners_.end()) listeners_.erase(it);
    registered_.store(listeners_.size(), std::memory_order_release);
  }

 private:
  void notify_listeners() noexcept {
    // Nearly every pool task has no listener: its notify costs no lock.
    if (registered_.load(std::memory_order_acquire) == 0) return;
    std::lock_guard lock(listeners_mutex_);
    for (auto& [listener, token] : listeners_) listener->notify(token);
  }

  std::condition_variable cv_;
  std::mutex listeners_mutex_;
  std::vector<std::pair<ready_listener*, std::size_t>> listeners_;
  std::atomic<std::size_t> registered_{0};  // listeners_.size()
};

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
