// mp::lock (class mutex): a lock word (lock_word.hpp) whose holder is the
// holding *process*, so that only the end of the process counts (API.md:
// a thread that ends holding a Lock leaves it held, as in Python).
#include <atomic>
#include <cstdint>

#include "multiproc/errors.hpp"
#include "multiproc/synchronize.hpp"
#include "sync/lock_word.hpp"
#include "sync/participants.hpp"

namespace multiproc::inline v0 {

using detail::sync::lock_word::outcome;
namespace lw = detail::sync::lock_word;

namespace {

acquire_result result_of(outcome o) {
  return {o != outcome::busy, o == outcome::taken_over};
}

}  // namespace

mutex::mutex() : cell_(sizeof(std::uint32_t)) {}

std::uint32_t& mutex::word() const noexcept {
  return *static_cast<std::uint32_t*>(cell_.get());
}

acquire_result mutex::try_acquire() {
  return result_of(lw::try_once(word(), detail::sync::process_participant()));
}

acquire_result mutex::acquire_steady(
    const std::optional<detail::steady_deadline>& deadline) {
  const std::uint32_t me = detail::sync::process_participant();
  // The uncontended case in one CAS, before any clock read or call.
  std::uint32_t free_word = 0;
  if (std::atomic_ref<std::uint32_t>(word()).compare_exchange_strong(
          free_word, lw::kLocked | me, std::memory_order_acquire,
          std::memory_order_relaxed)) {
    return {true, false};
  }
  if (deadline && *deadline <= std::chrono::steady_clock::now()) {
    return result_of(lw::try_once(word(), me));
  }
  return result_of(lw::acquire(word(), me, deadline));
}

void mutex::release() {
  if (!lw::release(word())) {
    throw usage_error("semaphore or lock released too many times");
  }
}

bool mutex::owner_died() const {
  const std::uint32_t seen = lw::peek(word());
  return (seen & lw::kLocked) != 0 && (seen & lw::kTakenOver) != 0;
}

bool mutex::locked() const { return lw::held(word()); }

}  // namespace multiproc::inline v0
