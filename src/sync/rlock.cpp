// mp::rlock: a lock word whose holder is the owning *thread*, and a depth
// only the owner touches. A takeover discards the dead owner's depth.
#include <atomic>
#include <cstdint>

#include "multiproc/errors.hpp"
#include "multiproc/synchronize.hpp"
#include "sync/lock_word.hpp"
#include "sync/participants.hpp"

namespace multiproc::inline v0 {

namespace lw = detail::sync::lock_word;
using lw::outcome;

namespace detail::sync {
struct rlock_state {
  std::uint32_t word;
  std::uint32_t depth;  // written by the owner only, while it holds word
};
}  // namespace detail::sync

rlock::rlock() : cell_(sizeof(detail::sync::rlock_state)) {}

detail::sync::rlock_state& rlock::shared() const noexcept {
  return *static_cast<detail::sync::rlock_state*>(cell_.get());
}

namespace {

bool owned_by(std::uint32_t seen, std::uint32_t me) {
  return (seen & lw::kLocked) != 0 && (seen & lw::kHolderMask) == me;
}

std::atomic_ref<std::uint32_t> depth_of(std::uint32_t& depth) {
  return std::atomic_ref<std::uint32_t>(depth);
}

}  // namespace

acquire_result rlock::took(int raw) {
  const auto o = static_cast<outcome>(raw);
  if (o == outcome::busy) return {};
  depth_of(shared().depth).store(1, std::memory_order_relaxed);
  return {true, o == outcome::taken_over};
}

acquire_result rlock::try_acquire() {
  auto& s = shared();
  const std::uint32_t me = detail::sync::thread_participant();
  if (owned_by(lw::peek(s.word), me)) {
    depth_of(s.depth).fetch_add(1, std::memory_order_relaxed);
    return {true, false};
  }
  return took(static_cast<int>(lw::try_once(s.word, me)));
}

acquire_result rlock::acquire_steady(
    const std::optional<detail::steady_deadline>& deadline) {
  auto& s = shared();
  const std::uint32_t me = detail::sync::thread_participant();
  if (owned_by(lw::peek(s.word), me)) {
    depth_of(s.depth).fetch_add(1, std::memory_order_relaxed);
    return {true, false};
  }
  if (deadline && *deadline <= std::chrono::steady_clock::now()) {
    return took(static_cast<int>(lw::try_once(s.word, me)));
  }
  return took(static_cast<int>(lw::acquire(s.word, me, deadline)));
}

void rlock::release() {
  auto& s = shared();
  const std::uint32_t me = detail::sync::thread_participant();
  if (!owned_by(lw::peek(s.word), me)) {
    throw usage_error("attempt to release recursive lock not owned by thread");
  }
  if (depth_of(s.depth).fetch_sub(1, std::memory_order_relaxed) > 1) return;
  (void)lw::release(s.word);
}

bool rlock::is_owned() const {
  return owned_by(lw::peek(shared().word), detail::sync::thread_participant());
}

std::uint32_t rlock::release_all() {
  auto& s = shared();
  const std::uint32_t depth = depth_of(s.depth).exchange(0);
  (void)lw::release(s.word);
  return depth;
}

acquire_result rlock::restore(std::uint32_t depth) {
  const acquire_result got = acquire();
  depth_of(shared().depth).store(depth, std::memory_order_relaxed);
  return got;
}

bool rlock::owner_died() const {
  const std::uint32_t seen = lw::peek(shared().word);
  return (seen & lw::kLocked) != 0 && (seen & lw::kTakenOver) != 0;
}

bool rlock::locked() const { return lw::held(shared().word); }

}  // namespace multiproc::inline v0
