// Sleeping on a word of the arena until it changes, a deadline passes, or
// it is time to look again at who is alive.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "multiproc/detail/deadline.hpp"

namespace multiproc::inline v0::detail::sync {

/// How often a sleeper re-checks the liveness of those it waits on: API.md
/// allows at most 20 times a second and wants deaths seen within 100 ms.
/// Wake-ups for releases, sets and notifies are immediate, never polled.
inline constexpr std::chrono::milliseconds kLivenessRecheck{50};

/// The brief spin before sleeping (API.md: tens of µs at most): enough to
/// catch a release on another CPU without a futex round trip (≈ 50 µs
/// across CPUs on this VM), short enough not to starve a holder that
/// shares our CPU.
inline constexpr int kSpinIterations = 100;

enum class slept {
  changed,    // woken, or the word already differed: look again
  recheck,    // the liveness re-check period passed: look again
  timed_out,  // the caller's deadline passed
};

/// Sleeps while `word == expected`, at most until `deadline` (empty: no
/// limit) and for at most one liveness period. Signals never shorten it:
/// EINTR goes back to sleep until the same deadline.
slept sleep_on(std::uint32_t& word, std::uint32_t expected,
               const std::optional<steady_deadline>& deadline) noexcept;

/// Wakes up to `count` sleepers on `word` (INT_MAX: all).
/// Async-signal-safe.
void wake(std::uint32_t& word, int count) noexcept;

/// One pause of a spin loop.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

}  // namespace multiproc::inline v0::detail::sync
