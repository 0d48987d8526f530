#include "channel/holders.hpp"

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <new>

#include "sync/participants.hpp"

namespace multiproc::inline v0::detail::channel {
namespace {

constexpr std::uint64_t kValid = std::uint64_t{1} << 32;
constexpr std::uint64_t kPending = std::uint64_t{1} << 33;
constexpr std::uint64_t kUsedPut = std::uint64_t{1} << 34;
constexpr std::uint64_t kUsedGet = std::uint64_t{1} << 35;
// Pipes: the holder closed the end counted as that side (drop_side).
constexpr std::uint64_t kDroppedPut = std::uint64_t{1} << 36;
constexpr std::uint64_t kDroppedGet = std::uint64_t{1} << 37;

// A pending entry also records when it was claimed, in 16 ms ticks (bits
// 38-63, wrapping after 12 days).
constexpr int kTickShift = 38;
constexpr std::uint64_t kTickMask = (std::uint64_t{1} << 26) - 1;
// How long a pending entry counts without its child taking it: a child
// killed before its first instruction (or a fork that failed) would
// otherwise count for as long as its parent lives. A child that takes
// longer than this to run its fork handler re-enters on its own.
constexpr std::uint64_t kPendingTicks = 3000 / 16;

std::uint32_t id_of(std::uint64_t entry) noexcept {
  return static_cast<std::uint32_t>(entry);
}

std::uint64_t now_ticks() noexcept {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now().time_since_epoch());
  return (static_cast<std::uint64_t>(ms.count()) / 16) & kTickMask;
}

bool pending_expired(std::uint64_t entry) noexcept {
  const std::uint64_t claimed = (entry >> kTickShift) & kTickMask;
  return ((now_ticks() - claimed) & kTickMask) > kPendingTicks;
}

// This process's rings, for the fork handlers. Held across fork() by the
// prepare handler, so the list is still while the child is made.
std::mutex g_locals_mutex;
ring_local* g_locals = nullptr;
std::once_flag g_hooks_once;

// Removes the entry of a holder that ended: the tasks it got and did not
// finish are lost (joinable_queue::lost_tasks). The count is taken before
// the entry is freed, so that a new holder of the entry starts from zero.
// Pipes: takes the watches in a task word out of the header's counts.
void forget_watches(ring_header& h, std::uint64_t word) noexcept {
  const auto first = static_cast<std::uint32_t>(word);
  const auto second = static_cast<std::uint32_t>(word >> 32);
  if (first != 0) u32_ref(h.watchers[0]).fetch_sub(first);
  if (second != 0) u32_ref(h.watchers[1]).fetch_sub(second);
}

void drop_ended(ring_local& local, std::uint32_t i,
                std::uint64_t seen) noexcept {
  const std::uint64_t lost = u64_ref(local.tasks()[i]).exchange(0);
  if (lost != 0) {
    if (local.header().pipe_sides != 0) {
      forget_watches(local.header(), lost);
    } else {
      u64_ref(local.header().lost_tasks).fetch_add(lost);
    }
  }
  u64_ref(local.holders()[i]).compare_exchange_strong(seen, 0);
}

bool ended(std::uint64_t seen) noexcept;

// The sides this process no longer holds (a fork child inherits that).
std::uint64_t dropped_bits(const ring_local& local) noexcept {
  return (local.dropped_put.load() ? kDroppedPut : 0) |
         (local.dropped_get.load() ? kDroppedGet : 0);
}

// Claims a free entry for `word`; -1 when the table is full, which is
// then counted as a holder that is alive forever (safe: never a false
// "all gone", at worst a wait that only a timeout ends).
int claim_entry(ring_local& local, std::uint64_t word) noexcept {
  std::uint64_t* table = local.holders();
  for (int pass = 0; pass < 2; ++pass) {
    for (std::uint32_t i = 0; i < kHolderEntries; ++i) {
      u64_ref entry(table[i]);
      std::uint64_t seen = entry.load(std::memory_order_relaxed);
      if (seen == 0 && entry.compare_exchange_strong(seen, word)) {
        // Scans stop at the highest entry ever claimed.
        u32_ref high(local.header().holders_high);
        std::uint32_t h = high.load();
        while (h < i + 1 && !high.compare_exchange_weak(h, i + 1)) {
        }
        return static_cast<int>(i);
      }
    }
    // Free the entries of ended holders, then look once more.
    for (std::uint32_t i = 0; i < kHolderEntries; ++i) {
      u64_ref entry(table[i]);
      std::uint64_t seen = entry.load();
      if (seen != 0 && ended(seen)) drop_ended(local, i, seen);
    }
  }
  u32_ref(local.header().holders_overflow).fetch_add(1);
  return -1;
}

void before_fork() noexcept {
  g_locals_mutex.lock();
  const std::uint32_t me = sync::process_participant();
  for (ring_local* l = g_locals; l != nullptr; l = l->next) {
    l->pending_entry = -1;
    if (l->closed || l->entry < 0) continue;
    u32_ref(l->header().shared).store(1);
    l->pending_word =
        kValid | kPending | me | dropped_bits(*l) | (now_ticks() << kTickShift);
    l->pending_entry = claim_entry(*l, l->pending_word);
  }
}

void in_parent() noexcept { g_locals_mutex.unlock(); }

void in_child() noexcept {
  // Runs after sync's handler (installed first, when the arena was
  // mapped), so this process's own participant id is already claimed.
  new (&g_locals_mutex) std::mutex;
  const std::uint32_t me = sync::process_participant();
  for (ring_local* l = g_locals; l != nullptr; l = l->next) {
    l->used_put = false;
    l->used_get = false;
    l->entry = -1;
    if (l->pending_entry >= 0) {
      std::uint64_t expected = l->pending_word;
      if (u64_ref(l->holders()[l->pending_entry])
              .compare_exchange_strong(expected,
                                       kValid | me | dropped_bits(*l))) {
        l->entry = l->pending_entry;
      }
    }
    // Expired meanwhile (this child was slow to run): enter afresh.
    if (l->entry < 0 && !l->closed) {
      l->entry = claim_entry(*l, kValid | me | dropped_bits(*l));
    }
    l->pending_entry = -1;
  }
}

// A holder that ended, or a pending entry no child took in time.
bool ended(std::uint64_t seen) noexcept {
  return !sync::participant_alive(id_of(seen)) ||
         ((seen & kPending) != 0 && pending_expired(seen));
}

bool dropped(std::uint64_t entry, side which) noexcept {
  return (entry & (which == side::put ? kDroppedPut : kDroppedGet)) != 0;
}

bool counts_on(std::uint64_t entry, side which, bool shared) noexcept {
  // A pipe end this holder closed never counts; if it closed the other,
  // it holds only this one.
  if (dropped(entry, which)) return false;
  if (dropped(entry, which == side::put ? side::get : side::put)) return true;
  // A pending entry (a child not yet running) has used nothing.
  if (!shared || (entry & kPending) != 0) return true;
  const std::uint64_t mine = which == side::put ? kUsedPut : kUsedGet;
  const std::uint64_t other = which == side::put ? kUsedGet : kUsedPut;
  // Used this side, or used neither.
  return (entry & mine) != 0 || (entry & other) == 0;
}

}  // namespace

void hold(ring_local& local) {
  const std::uint32_t me = sync::process_participant();
  // After process_participant(): the arena's fork handlers (which claim a
  // child's participant id) are installed before ours, and child handlers
  // run in the order of installation.
  std::call_once(g_hooks_once, [] {
    if (pthread_atfork(before_fork, in_parent, in_child) != 0) {
      std::terminate();  // ENOMEM only; children could not be counted
    }
  });
  local.entry = claim_entry(local, kValid | me);
}

void note_use(ring_local& local, side which) noexcept {
  std::atomic<bool>& used =
      which == side::put ? local.used_put : local.used_get;
  if (used.load(std::memory_order_relaxed) || used.exchange(true)) return;
  const int entry = local.entry.load();
  if (entry < 0) return;
  u64_ref(local.holders()[entry])
      .fetch_or(which == side::put ? kUsedPut : kUsedGet);
}

bool side_alive(ring_local& local, side which) noexcept {
  ring_header& h = local.header();
  if (u32_ref(h.holders_overflow).load() != 0) return true;
  const bool shared = u32_ref(h.shared).load() != 0;
  std::uint64_t* table = local.holders();
  const std::uint32_t high = u32_ref(h.holders_high).load();
  for (std::uint32_t i = 0; i < high; ++i) {
    u64_ref entry(table[i]);
    std::uint64_t seen = entry.load();
    if (seen == 0) continue;
    if (ended(seen)) {
      drop_ended(local, i, seen);
      continue;
    }
    if (counts_on(seen, which, shared)) return true;
  }
  return false;
}

void drop_side(ring_local& local, side which) noexcept {
  (which == side::put ? local.dropped_put : local.dropped_get).store(true);
  const int entry = local.entry.load();
  if (entry < 0) return;
  u64_ref(local.holders()[entry])
      .fetch_or(which == side::put ? kDroppedPut : kDroppedGet);
}

void let_go(ring_local& local) noexcept {
  const int entry = local.entry.exchange(-1);
  if (entry < 0) return;
  // Tasks this process got and did not finish stay unfinished (it may
  // still call task_done()), without an entry to hold them.
  const std::uint64_t open = u64_ref(local.tasks()[entry]).exchange(0);
  if (open != 0) {
    if (local.header().pipe_sides != 0) {
      forget_watches(local.header(), open);
    } else {
      u64_ref(local.header().orphan_tasks).fetch_add(open);
    }
  }
  u64_ref(local.holders()[entry]).store(0);
}

int add_watch(ring_local& local, int end) noexcept {
  ring_header& h = local.header();
  u32_ref(h.watchers[end]).fetch_add(1);
  const int entry = local.entry.load();
  if (entry >= 0) {
    u64_ref(local.tasks()[entry]).fetch_add(std::uint64_t{1} << (32 * end));
  }
  return entry;
}

void remove_watch(ring_local& local, int end, int entry) noexcept {
  if (entry >= 0) {
    // Let go meanwhile (both ends closed): let_go() took it out already.
    if (local.entry.load() != entry) return;
    u64_ref(local.tasks()[entry]).fetch_sub(std::uint64_t{1} << (32 * end));
  }
  u32_ref(local.header().watchers[end]).fetch_sub(1);
}

void link_local(ring_local& local) {
  std::lock_guard lock(g_locals_mutex);
  local.next = g_locals;
  if (g_locals != nullptr) g_locals->prev = &local;
  g_locals = &local;
}

void unlink_local(ring_local& local) noexcept {
  std::lock_guard lock(g_locals_mutex);
  if (local.prev != nullptr) local.prev->next = local.next;
  if (local.next != nullptr) local.next->prev = local.prev;
  if (g_locals == &local) g_locals = local.next;
}

}  // namespace multiproc::inline v0::detail::channel

namespace multiproc::inline v0::detail::channel {

void settle_ended(ring_local& local) noexcept {
  std::uint64_t* table = local.holders();
  for (std::uint32_t i = 0; i < kHolderEntries; ++i) {
    const std::uint64_t seen = u64_ref(table[i]).load();
    if (seen != 0 && ended(seen)) drop_ended(local, i, seen);
  }
}

std::uint64_t open_tasks(ring_local& local) noexcept {
  settle_ended(local);
  std::uint64_t open = u64_ref(local.header().orphan_tasks).load();
  for (std::uint32_t i = 0; i < kHolderEntries; ++i) {
    open += u64_ref(local.tasks()[i]).load();
  }
  return open;
}

void count_task_got(ring_local& local) noexcept {
  const int entry = local.entry.load();
  if (entry >= 0) {
    u64_ref(local.tasks()[entry]).fetch_add(1);
  } else {
    u64_ref(local.header().orphan_tasks).fetch_add(1);
  }
}

namespace {
bool take_one(std::uint64_t& counter) noexcept {
  u64_ref count(counter);
  std::uint64_t seen = count.load();
  while (seen > 0 && !count.compare_exchange_weak(seen, seen - 1)) {
  }
  return seen > 0;
}
}  // namespace

bool settle_task(ring_local& local) noexcept {
  const int entry = local.entry.load();
  if (entry >= 0 && take_one(local.tasks()[entry])) return true;
  settle_ended(local);
  if (take_one(local.header().orphan_tasks)) return true;
  for (std::uint32_t i = 0; i < kHolderEntries; ++i) {
    if (take_one(local.tasks()[i])) return true;
  }
  return false;
}

}  // namespace multiproc::inline v0::detail::channel
