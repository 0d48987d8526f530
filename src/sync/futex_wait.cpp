#include "sync/futex_wait.hpp"

#include <time.h>

#include <cerrno>

#include "posix/sys.hpp"

namespace multiproc::inline v0::detail::sync {

slept sleep_on(std::uint32_t& word, std::uint32_t expected,
               const std::optional<steady_deadline>& deadline) noexcept {
  // libstdc++'s steady_clock is CLOCK_MONOTONIC, the futex's clock here.
  const steady_deadline recheck_at =
      std::chrono::steady_clock::now() + kLivenessRecheck;
  const bool caller_first = deadline.has_value() && *deadline <= recheck_at;
  const steady_deadline wake_at = caller_first ? *deadline : recheck_at;
  const auto since_epoch = std::chrono::duration_cast<std::chrono::nanoseconds>(
      wake_at.time_since_epoch());
  timespec at{};
  at.tv_sec = static_cast<time_t>(since_epoch.count() / 1000000000);
  at.tv_nsec = static_cast<long>(since_epoch.count() % 1000000000);
  for (;;) {
    if (sys::futex_wait(&word, expected, &at) == 0) return slept::changed;
    if (errno == EINTR) continue;
    if (errno == ETIMEDOUT) {
      return caller_first ? slept::timed_out : slept::recheck;
    }
    return slept::changed;  // EAGAIN: the word had already moved on
  }
}

void wake(std::uint32_t& word, int count) noexcept {
  (void)sys::futex_wake(&word, count);
}

}  // namespace multiproc::inline v0::detail::sync
