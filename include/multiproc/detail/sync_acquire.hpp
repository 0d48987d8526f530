// The acquire family (API.md Part 4) written once for every lockable type:
// Python's acquire(), acquire(False), acquire(timeout=t) and std's
// Lockable + TimedLockable, all reduced to two members the type provides:
//
//   acquire_result try_acquire();      // one attempt, never sleeps
//   acquire_result acquire_steady(const std::optional<steady_deadline>&);
//                                      // empty: no limit
//   void release();
#pragma once

#include <chrono>
#include <concepts>
#include <optional>

#include "multiproc/detail/deadline.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// What an acquisition found. True (acquired()) when the caller now holds
/// the object; owner_died() when it was taken over from a holder that ended
/// without releasing (which implies acquired()).
/// Python: acquire() returns a bool; owner_died() has no counterpart
/// (Python's Lock stays held forever when its holder dies, P1).
class acquire_result {
 public:
  constexpr acquire_result() noexcept = default;  // not acquired
  constexpr acquire_result(bool acquired, bool owner_died) noexcept
      : acquired_(acquired), owner_died_(acquired && owner_died) {}
  constexpr bool acquired() const noexcept { return acquired_; }
  constexpr bool owner_died() const noexcept { return owner_died_; }
  constexpr explicit operator bool() const noexcept { return acquired_; }

 private:
  bool acquired_ = false;
  bool owner_died_ = false;
};

namespace detail::sync {

template <class Derived>
class acquire_family {
 public:
  /// Waits without limit. Python: acquire().
  acquire_result acquire() { return self().acquire_steady(std::nullopt); }
  /// acquire(false) tries once; acquire(true) is acquire(). Only a bool is
  /// accepted: acquire(0.5) does not compile (pass 500ms).
  /// Python: acquire(False) / acquire(True).
  template <std::same_as<bool> B>
  [[nodiscard]] acquire_result acquire(B block) {
    return block ? acquire() : self().try_acquire();
  }
  /// Waits at most `timeout` (<= 0: one try; >= 100 years or max(): no
  /// limit), on the monotonic clock. Python: acquire(timeout=t), which
  /// uses the wall clock (P12).
  template <class Rep, class Period>
  [[nodiscard]] acquire_result acquire(
      std::chrono::duration<Rep, Period> timeout) {
    return self().acquire_steady(detail::deadline_after(timeout));
  }
  /// Waits until `deadline` of any clock (re-read after each wake when it
  /// is not steady_clock).
  template <class Clock, class Duration>
  [[nodiscard]] acquire_result acquire_until(
      std::chrono::time_point<Clock, Duration> deadline) {
    acquire_result result;
    detail::wait_until_deadline(deadline,
                                [&](const std::optional<steady_deadline>& at) {
                                  result = self().acquire_steady(at);
                                  return result.acquired();
                                });
    return result;
  }

  // std Lockable and TimedLockable: a taken-over acquisition counts as
  // success (read owner_died() after them).
  void lock() { (void)acquire(); }
  bool try_lock() { return self().try_acquire().acquired(); }
  template <class Rep, class Period>
  bool try_lock_for(std::chrono::duration<Rep, Period> timeout) {
    return acquire(timeout).acquired();
  }
  template <class Clock, class Duration>
  bool try_lock_until(std::chrono::time_point<Clock, Duration> deadline) {
    return acquire_until(deadline).acquired();
  }
  void unlock() { self().release(); }

 private:
  Derived& self() noexcept { return static_cast<Derived&>(*this); }
};

}  // namespace detail::sync
}  // namespace multiproc::inline v0

#pragma GCC visibility pop
