#include "sync/lock_word.hpp"

#include <atomic>

#include "sync/futex_wait.hpp"
#include "sync/participants.hpp"

namespace multiproc::inline v0::detail::sync::lock_word {
namespace {

using word_ref = std::atomic_ref<std::uint32_t>;

// One look at a word seen as `seen`; `sleepy` keeps the waiters bit when
// acquiring (a sleeper that wakes cannot know whether others still sleep,
// so it acquires conservatively, as in Drepper's "Futexes Are Tricky").
std::optional<outcome> attempt(word_ref word, std::uint32_t& seen,
                               std::uint32_t me, bool sleepy) noexcept {
  const std::uint32_t keep = sleepy ? kWaiters : (seen & kWaiters);
  if ((seen & kLocked) == 0) {
    if (word.compare_exchange_strong(seen, kLocked | keep | me,
                                     std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      return outcome::acquired;
    }
    return std::nullopt;  // seen was refreshed: look again
  }
  if (!participant_alive(seen & kHolderMask)) {
    if (word.compare_exchange_strong(
            seen, kLocked | kTakenOver | (seen & kWaiters) | keep | me,
            std::memory_order_acquire, std::memory_order_relaxed)) {
      return outcome::taken_over;
    }
    return std::nullopt;
  }
  return outcome::busy;
}

}  // namespace

outcome try_once(std::uint32_t& raw, std::uint32_t me) noexcept {
  word_ref word(raw);
  std::uint32_t seen = word.load(std::memory_order_relaxed);
  for (;;) {
    if (auto result = attempt(word, seen, me, false)) return *result;
  }
}

outcome acquire(std::uint32_t& raw, std::uint32_t me,
                const std::optional<steady_deadline>& deadline) noexcept {
  word_ref word(raw);
  std::uint32_t seen = word.load(std::memory_order_relaxed);
  // Fast path and brief spin.
  for (int spin = 0;; ++spin) {
    if ((seen & kLocked) == 0 || spin == 0) {
      if (auto result = attempt(word, seen, me, false);
          result && *result != outcome::busy) {
        return *result;
      }
    }
    if (spin >= kSpinIterations) break;
    cpu_relax();
    seen = word.load(std::memory_order_relaxed);
  }
  for (;;) {
    seen = word.load(std::memory_order_relaxed);
    auto result = attempt(word, seen, me, true);
    if (!result) continue;
    if (*result != outcome::busy) return *result;
    // Held by someone alive: announce a sleeper, then sleep on that value.
    if ((seen & kWaiters) == 0 &&
        !word.compare_exchange_strong(seen, seen | kWaiters,
                                      std::memory_order_relaxed)) {
      continue;
    }
    if (sleep_on(raw, seen | kWaiters, deadline) == slept::timed_out) {
      // One last look, so that a release or a death at the deadline
      // counts (Python's acquire(timeout) also tries once more).
      seen = word.load(std::memory_order_relaxed);
      for (;;) {
        if (auto last = attempt(word, seen, me, true)) return *last;
      }
    }
  }
}

bool release(std::uint32_t& raw) noexcept {
  word_ref word(raw);
  // One exchange; a free word (a release too many) is put back as it was:
  // 0 stays 0, and nothing else is ever free.
  const std::uint32_t seen = word.exchange(0, std::memory_order_release);
  if ((seen & kLocked) == 0) return false;
  if ((seen & kWaiters) != 0) wake(raw, 1);
  return true;
}

std::uint32_t peek(const std::uint32_t& raw) noexcept {
  return word_ref(const_cast<std::uint32_t&>(raw))
      .load(std::memory_order_acquire);
}

bool held(const std::uint32_t& raw) noexcept {
  const std::uint32_t seen = peek(raw);
  return (seen & kLocked) != 0 && participant_alive(seen & kHolderMask);
}

}  // namespace multiproc::inline v0::detail::sync::lock_word
