// mp::event: one futex word, the flag in bit 0 and a count of set() calls
// above it. A waiter sleeps on the word it saw unset; set() changes the
// word and wakes every sleeper. Nobody waits for anybody: a waiter that
// died is just a futex queue entry the kernel dropped with its task, so it
// cannot delay set() (P2) — and set() is two atomics and a syscall, all
// async-signal-safe.
#include <atomic>
#include <climits>
#include <cstdint>

#include "multiproc/synchronize.hpp"
#include "sync/futex_wait.hpp"

namespace multiproc::inline v0 {

namespace sync = detail::sync;
using u32_ref = std::atomic_ref<std::uint32_t>;

struct detail::sync::event_state {
  std::uint32_t word;      // bit 0: set; above: how many times it was set
  std::uint32_t sleepers;  // threads in sleep_on; set() wakes only then
};

event::event() : cell_(sizeof(sync::event_state)) {}

sync::event_state& event::shared() const noexcept {
  return *static_cast<sync::event_state*>(cell_.get());
}

bool event::is_set() const noexcept {
  return (u32_ref(shared().word).load(std::memory_order_acquire) & 1u) != 0;
}

void event::set() noexcept {
  auto& s = shared();
  u32_ref word(s.word);
  std::uint32_t seen = word.load(std::memory_order_relaxed);
  while ((seen & 1u) == 0 &&
         !word.compare_exchange_weak(seen, (seen + 2u) | 1u,
                                     std::memory_order_seq_cst)) {
  }
  if ((seen & 1u) != 0) return;  // already set: nobody can be asleep on it
  if (u32_ref(s.sleepers).load(std::memory_order_seq_cst) > 0) {
    sync::wake(s.word, INT_MAX);
  }
}

void event::clear() noexcept {
  u32_ref(shared().word).fetch_and(~1u, std::memory_order_seq_cst);
}

bool event::wait_steady(
    const std::optional<detail::steady_deadline>& deadline) {
  auto& s = shared();
  u32_ref word(s.word);
  std::uint32_t seen = word.load(std::memory_order_acquire);
  if ((seen & 1u) != 0) return true;
  if (deadline && *deadline <= std::chrono::steady_clock::now()) return false;
  for (int spin = 0; spin < sync::kSpinIterations; ++spin) {
    sync::cpu_relax();
    if ((word.load(std::memory_order_acquire) & 1u) != 0) return true;
  }
  for (;;) {
    u32_ref(s.sleepers).fetch_add(1, std::memory_order_seq_cst);
    seen = word.load(std::memory_order_seq_cst);
    sync::slept how = sync::slept::changed;
    if ((seen & 1u) == 0) how = sync::sleep_on(s.word, seen, deadline);
    u32_ref(s.sleepers).fetch_sub(1, std::memory_order_relaxed);
    if ((word.load(std::memory_order_acquire) & 1u) != 0) return true;
    if (how == sync::slept::timed_out) return false;
  }
}

}  // namespace multiproc::inline v0
