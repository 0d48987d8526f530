// mp::semaphore and mp::bounded_semaphore: a futex word holding the permits
// available, and a ledger of which processes hold how many, so that the
// permits of a process that ended are counted (lost_permits) or come back
// (reclaim_on_death).
//
// Why a ledger of 8 and not per-process counters for every semaphore: a
// million semaphores times the processes of a program would not fit; a
// semaphore is rarely held by more than a few processes at once. The
// ledger is kept on the safe side of every race with a death: a permit is
// credited after it is taken and debited before it is given back, so a
// process that dies between the two loses it uncounted rather than
// counting it twice (which could raise a bounded semaphore past its
// bound).
#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdint>

#include "multiproc/errors.hpp"
#include "multiproc/synchronize.hpp"
#include "sync/futex_wait.hpp"
#include "sync/participants.hpp"

namespace multiproc::inline v0 {

namespace sync = detail::sync;

namespace {

constexpr int kLedgerEntries = 8;
using u32_ref = std::atomic_ref<std::uint32_t>;

}  // namespace

struct detail::sync::semaphore_state {
  std::uint32_t value;      // futex word: permits available now
  std::uint32_t sleepers;   // threads in sleep_on (release wakes only then)
  std::uint32_t maximum;    // max_value, or the bound
  std::uint32_t reclaim;    // 1: reclaim_on_death
  std::uint32_t reclaimed;  // permits back from the dead, not yet re-taken
  std::uint32_t unused;
  std::uint64_t lost;  // permits of the dead, not reclaimed
  struct entry {
    std::uint32_t holder;   // participant id, or kNoParticipant
    std::uint32_t permits;  // acquired minus released, never below 0
  } ledger[kLedgerEntries];
};

namespace {

using state_t = detail::sync::semaphore_state;

int checked_initial(int value) {
  if (value < 0) throw usage_error("semaphore initial value must be >= 0");
  return value;
}

void credit(state_t& s, std::uint32_t me);

// Settles the ledger entries of processes that ended: their permits are
// counted lost, or returned with reclaim_on_death.
void settle(state_t& s) {
  for (auto& e : s.ledger) {
    const std::uint32_t holder =
        u32_ref(e.holder).load(std::memory_order_acquire);
    if (holder == sync::kNoParticipant || sync::participant_alive(holder)) {
      continue;
    }
    // exchange: of several settlers, exactly one sees the permits.
    const std::uint32_t permits =
        u32_ref(e.permits).exchange(0, std::memory_order_acq_rel);
    std::uint32_t expected = holder;
    u32_ref(e.holder).compare_exchange_strong(expected, sync::kNoParticipant);
    if (permits == 0) continue;
    if (u32_ref(s.reclaim).load(std::memory_order_relaxed) == 0) {
      std::atomic_ref<std::uint64_t>(s.lost).fetch_add(permits);
      continue;
    }
    // Back into the pool, never above the maximum (a bounded semaphore
    // released meanwhile by others); what does not fit is lost.
    u32_ref value(s.value);
    std::uint32_t seen = value.load();
    std::uint32_t back = 0;
    do {
      back = std::min(permits, u32_ref(s.maximum).load() - seen);
    } while (!value.compare_exchange_weak(seen, seen + back));
    u32_ref(s.reclaimed).fetch_add(back);
    if (permits > back) {
      std::atomic_ref<std::uint64_t>(s.lost).fetch_add(permits - back);
    }
    if (back > 0 && u32_ref(s.sleepers).load() > 0) {
      sync::wake(s.value, static_cast<int>(back));
    }
  }
}

void credit(state_t& s, std::uint32_t me) {
  for (int pass = 0; pass < 2; ++pass) {
    for (auto& e : s.ledger) {
      if (u32_ref(e.holder).load(std::memory_order_acquire) == me) {
        u32_ref(e.permits).fetch_add(1, std::memory_order_acq_rel);
        return;
      }
    }
    for (auto& e : s.ledger) {
      std::uint32_t empty = sync::kNoParticipant;
      if (u32_ref(e.holder).compare_exchange_strong(empty, me)) {
        u32_ref(e.permits).fetch_add(1, std::memory_order_acq_rel);
        return;
      }
    }
    settle(s);  // free the entries of the dead, then look once more
  }
  // Ledger full of live holders: this permit goes untracked.
}

// True if `me` had a permit on the ledger and now has one fewer.
bool debit(state_t& s, std::uint32_t me) {
  for (auto& e : s.ledger) {
    if (u32_ref(e.holder).load(std::memory_order_acquire) != me) continue;
    u32_ref permits(e.permits);
    std::uint32_t seen = permits.load();
    while (seen > 0 && !permits.compare_exchange_weak(seen, seen - 1)) {
    }
    return seen > 0;
  }
  return false;
}

// One permit if there is one. Reclaimed permits go first, and report it.
std::optional<acquire_result> try_take(state_t& s) {
  u32_ref value(s.value);
  std::uint32_t seen = value.load(std::memory_order_relaxed);
  while (seen > 0) {
    if (value.compare_exchange_weak(seen, seen - 1)) {
      bool died = false;
      u32_ref reclaimed(s.reclaimed);
      std::uint32_t r = reclaimed.load(std::memory_order_relaxed);
      while (r > 0 && !reclaimed.compare_exchange_weak(r, r - 1)) {
      }
      died = r > 0;
      credit(s, sync::process_participant());
      return acquire_result{true, died};
    }
  }
  return std::nullopt;
}

bool reclaims(state_t& s) {
  return u32_ref(s.reclaim).load(std::memory_order_relaxed) != 0;
}

}  // namespace

semaphore::semaphore(int value, semaphore_options options)
    : semaphore(value, max_value, options) {}

semaphore::semaphore(int value, int maximum, semaphore_options options)
    : cell_((checked_initial(value), sizeof(detail::sync::semaphore_state))) {
  auto& s = shared();
  s.maximum = static_cast<std::uint32_t>(maximum);
  s.reclaim = options.reclaim_on_death ? 1 : 0;
  for (auto& e : s.ledger) e.holder = sync::kNoParticipant;
  // The value last, with release: whoever reads it with acquire (every
  // taker does) sees the fields above. A fence would do the same, but
  // ThreadSanitizer cannot follow fences (GCC's -Wtsan).
  u32_ref(s.value).store(static_cast<std::uint32_t>(value),
                         std::memory_order_release);
}

bounded_semaphore::bounded_semaphore(int value, semaphore_options options)
    : semaphore(value, value, options) {}

detail::sync::semaphore_state& semaphore::shared() const noexcept {
  return *static_cast<detail::sync::semaphore_state*>(cell_.get());
}

acquire_result semaphore::try_acquire() {
  auto& s = shared();
  if (auto got = try_take(s)) return *got;
  if (reclaims(s)) {
    settle(s);
    if (auto got = try_take(s)) return *got;
  }
  return {};
}

acquire_result semaphore::acquire_steady(
    const std::optional<detail::steady_deadline>& deadline) {
  auto& s = shared();
  if (auto got = try_acquire(); got.acquired()) return got;
  if (deadline && *deadline <= std::chrono::steady_clock::now()) return {};
  for (int spin = 0; spin < sync::kSpinIterations; ++spin) {
    sync::cpu_relax();
    if (u32_ref(s.value).load(std::memory_order_relaxed) > 0) {
      if (auto got = try_take(s)) return *got;
    }
  }
  for (;;) {
    u32_ref(s.sleepers).fetch_add(1);
    sync::slept how = sync::slept::changed;
    if (u32_ref(s.value).load() == 0)
      how = sync::sleep_on(s.value, 0, deadline);
    u32_ref(s.sleepers).fetch_sub(1);
    if (auto got = try_acquire(); got.acquired()) return got;
    if (how == sync::slept::timed_out) return {};
  }
}

void semaphore::release() {
  auto& s = shared();
  u32_ref value(s.value);
  std::uint32_t seen = value.load(std::memory_order_relaxed);
  const std::uint32_t maximum =
      u32_ref(s.maximum).load(std::memory_order_relaxed);
  const std::uint32_t me = sync::process_participant();
  if (seen >= maximum) {
    throw usage_error("semaphore or lock released too many times");
  }
  // Debited before the permit is back (see the top of this file); checked
  // and raised in one CAS: never above the bound, whoever races.
  const bool debited = debit(s, me);
  do {
    if (seen >= maximum) {
      if (debited) credit(s, me);
      throw usage_error("semaphore or lock released too many times");
    }
  } while (!value.compare_exchange_weak(seen, seen + 1));
  if (u32_ref(s.sleepers).load() > 0) sync::wake(s.value, 1);
}

int semaphore::get_value() const {
  auto& s = shared();
  if (reclaims(s)) settle(s);
  return static_cast<int>(u32_ref(s.value).load());
}

std::size_t semaphore::lost_permits() const {
  auto& s = shared();
  settle(s);
  return static_cast<std::size_t>(
      std::atomic_ref<std::uint64_t>(s.lost).load());
}

}  // namespace multiproc::inline v0
