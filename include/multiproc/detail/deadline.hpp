// Timeouts and deadlines of any clock, turned into the steady-clock
// deadlines the waits use, saturating instead of overflowing.
//
// Every timed wait of the library funnels through here, so that one set of
// rules holds everywhere: a timeout of zero or less (or a deadline already
// passed, min() included) polls once; a timeout of more than about 100
// years (or a deadline that far away, max() included) means no limit; no
// arithmetic on the user's values can overflow, which is undefined
// behaviour for the signed counts std::chrono uses. The differences that
// could overflow (`deadline - Clock::now()` for time_point::min(), a
// time_point<steady_clock, hours>::max() cast to nanoseconds) are taken in
// double, whose range no std::chrono value can leave.
#pragma once

#include <chrono>
#include <optional>
#include <type_traits>

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

using steady_deadline = std::chrono::steady_clock::time_point;

/// Beyond this a timeout means "no limit". Far inside the ±292 years that
/// nanoseconds hold, so `steady_clock::now() + timeout` cannot overflow.
inline constexpr std::chrono::duration<double> kNoLimit =
    std::chrono::hours(24 * 365 * 100);

/// Converts a user's timeout to a steady-clock deadline: empty for "no
/// limit" (duration::max(), +infinity, anything beyond ~100 years); now()
/// for zero, negative (of any magnitude, -infinity included) or NaN, which
/// poll once.
template <class Rep, class Period>
std::optional<steady_deadline> deadline_after(
    std::chrono::duration<Rep, Period> timeout) {
  if (std::chrono::duration<double>(timeout) >= kNoLimit) return std::nullopt;
  // Converting a very negative timeout (seconds::min()) to nanoseconds would
  // overflow; `!(t > 0)` also sends NaN here.
  if (!(timeout > std::chrono::duration<Rep, Period>::zero())) {
    return std::chrono::steady_clock::now();
  }
  return std::chrono::steady_clock::now() +
         std::chrono::ceil<std::chrono::nanoseconds>(timeout);
}

/// The time left until `deadline` by its own clock: negative once it has
/// passed. Taken in double (seconds), so that neither an extreme deadline
/// nor the subtraction can overflow; the rounding (well under a
/// microsecond for the system clock's epoch) does not matter to callers,
/// which re-read the clock after each wait.
template <class Clock, class Duration>
std::chrono::duration<double> time_left(
    const std::chrono::time_point<Clock, Duration>& deadline) {
  return std::chrono::duration<double>(deadline.time_since_epoch()) -
         std::chrono::duration<double>(Clock::now().time_since_epoch());
}

/// A steady-clock time point of any Duration as a deadline for the waits:
/// exact when representable, now() when passed (min() included), empty
/// when beyond kNoLimit (max() included).
template <class Duration>
std::optional<steady_deadline> steady_deadline_from(
    const std::chrono::time_point<std::chrono::steady_clock, Duration>&
        deadline) {
  const std::chrono::duration<double> left = time_left(deadline);
  if (left >= kNoLimit) return std::nullopt;
  if (!(left > std::chrono::duration<double>::zero())) {
    return std::chrono::steady_clock::now();
  }
  // Within 100 years of now: the cast cannot overflow.
  return std::chrono::ceil<std::chrono::steady_clock::duration>(deadline);
}

/// A deadline on any clock as one steady-clock deadline, for a wait that is
/// made once and not repeated (a notify or a barrier trip must not be
/// consumed twice): exact for steady_clock, otherwise the time `Clock` says
/// is left now (a later jump of `Clock` is followed at the next call).
template <class Clock, class Duration>
std::optional<steady_deadline> steady_deadline_once(
    const std::chrono::time_point<Clock, Duration>& deadline) {
  if constexpr (std::is_same_v<Clock, std::chrono::steady_clock>) {
    return steady_deadline_from(deadline);
  } else {
    return deadline_after(time_left(deadline));
  }
}

/// The wait loop behind every `*_until(deadline)` of the library, for a
/// deadline on any clock. `wait` is called as
/// `bool wait(std::optional<steady_deadline>)` (empty: no limit) and
/// returns whether the awaited event has happened. Returns true as soon as
/// `wait` does, false once `deadline` has passed by its own clock.
///
/// A clock other than steady_clock is re-read after each wake, so a
/// deadline on a clock that jumps (the system clock set back or forward)
/// is followed: the wait ends neither early nor, by more than the jump,
/// late.
template <class Clock, class Duration, class Wait>
bool wait_until_deadline(
    const std::chrono::time_point<Clock, Duration>& deadline, Wait&& wait) {
  if constexpr (std::is_same_v<Clock, std::chrono::steady_clock>) {
    return wait(steady_deadline_from(deadline));
  } else {
    for (;;) {
      if (wait(deadline_after(time_left(deadline)))) return true;
      if (!(time_left(deadline) > std::chrono::duration<double>::zero())) {
        return false;
      }
    }
  }
}

/// `d` in nanoseconds, clamped to what nanoseconds hold (NaN: zero). For
/// reporting a user's timeout (timeout_error::timeout()) without overflow.
template <class Rep, class Period>
std::chrono::nanoseconds saturating_nanoseconds(
    std::chrono::duration<Rep, Period> d) {
  using ns = std::chrono::nanoseconds;
  const std::chrono::duration<double, std::nano> value = d;
  // Compare with a margin: ns::max() is not exactly representable in
  // double, and a value that rounds up to 2^63 would overflow the cast.
  constexpr double kEdge = 9.2e18;
  if (value.count() >= kEdge) return ns::max();
  if (value.count() <= -kEdge) return ns::min();
  if (!(value.count() == value.count())) return ns::zero();
  return std::chrono::duration_cast<ns>(d);
}

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
