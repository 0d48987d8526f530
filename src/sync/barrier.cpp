// mp::barrier: arrivals counted under a short internal lock; each waiting
// party sleeps on a node of its own, and whoever trips or breaks the
// barrier writes the outcome into every node and wakes it. The tripping
// party never waits for the others (gh-123899: Python's last party hangs
// in notify_all on a dead sleeper).
//
// A dead party is found by the waiters themselves: each re-checks, every
// kLivenessRecheck, that the parties waiting beside it are alive, and
// breaks the barrier with party_died if one is not. A party that dies
// holding the internal lock (running the action, which runs under it) is
// found by the next one to take the lock: it is taken over.
#include <atomic>
#include <cstdint>
#include <exception>

#include "multiproc/errors.hpp"
#include "multiproc/synchronize.hpp"
#include "sync/arena.hpp"
#include "sync/futex_wait.hpp"
#include "sync/lock_word.hpp"
#include "sync/participants.hpp"

namespace multiproc::inline v0 {

namespace sync = detail::sync;
namespace lw = detail::sync::lock_word;
using u32_ref = std::atomic_ref<std::uint32_t>;

struct detail::sync::barrier_state {
  std::uint32_t lock;    // lock_word, held briefly (and around the action)
  std::uint32_t count;   // parties arrived in this round
  std::uint32_t broken;  // 0, or 1 + barrier_broken_by
  std::uint32_t unused;
  std::uint64_t head;  // arena offset of the first waiting node, 0: none
};

namespace {

struct party_node {
  std::uint32_t word;   // 0 waiting, 1 tripped, 2 + cause: broken
  std::uint32_t owner;  // the waiting thread's participant id
  std::uint64_t next;
  std::uint32_t index;
  std::uint32_t unused;
};

party_node* node_at(std::uint64_t offset) {
  return offset == 0
             ? nullptr
             : reinterpret_cast<party_node*>(sync::arena_if_mapped() + offset);
}

std::uint64_t offset_of(party_node* node) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::byte*>(node) -
                                    sync::arena_if_mapped());
}

// Releases every waiting node with `word`, and empties the round. The next
// pointer is read before the node is marked: once marked, its owner may
// free it.
void release_all_locked(sync::barrier_state& s, std::uint32_t word) {
  std::uint64_t at = s.head;
  s.head = 0;
  s.count = 0;
  while (at != 0) {
    party_node* node = node_at(at);
    at = node->next;
    u32_ref(node->word).store(word, std::memory_order_release);
    sync::wake(node->word, 1);
  }
}

void break_locked(sync::barrier_state& s, barrier_broken_by cause) {
  s.broken = 1 + static_cast<std::uint32_t>(cause);
  release_all_locked(s, 2 + static_cast<std::uint32_t>(cause));
}

bool a_waiter_died(const sync::barrier_state& s) {
  for (std::uint64_t at = s.head; at != 0; at = node_at(at)->next) {
    if (!sync::participant_alive(node_at(at)->owner)) return true;
  }
  return false;
}

// The internal lock; a holder that died there broke the barrier.
class guard {
 public:
  explicit guard(sync::barrier_state& s) : s_(s) {
    if (lw::acquire(s.lock, sync::thread_participant(), std::nullopt) ==
        lw::outcome::taken_over) {
      break_locked(s, barrier_broken_by::party_died);
    }
  }
  guard(const guard&) = delete;
  guard& operator=(const guard&) = delete;
  ~guard() { (void)lw::release(s_.lock); }

 private:
  sync::barrier_state& s_;
};

[[noreturn]] void throw_broken(std::uint32_t broken) {
  throw broken_barrier_error(static_cast<barrier_broken_by>(broken - 1));
}

}  // namespace

barrier::barrier(int parties, barrier_options options)
    : parties_(parties > 0 ? parties
                           : throw usage_error("parties must be > 0")),
      action_(options.action ? std::make_shared<const std::function<void()>>(
                                   std::move(options.action))
                             : nullptr),
      timeout_(options.timeout),
      cell_(sizeof(sync::barrier_state)) {}

sync::barrier_state& barrier::shared() const noexcept {
  return *static_cast<sync::barrier_state*>(cell_.get());
}

int barrier::wait_steady(
    const std::optional<detail::steady_deadline>& deadline) {
  auto& s = shared();
  party_node* node = nullptr;
  {
    guard held(s);
    if (s.broken != 0) throw_broken(s.broken);
    const auto index = static_cast<int>(s.count);
    if (index + 1 == parties_) {
      if (a_waiter_died(s)) {
        break_locked(s, barrier_broken_by::party_died);
        throw_broken(s.broken);
      }
      if (action_) {
        try {
          (*action_)();
        } catch (...) {
          break_locked(s, barrier_broken_by::action_failed);
          throw;
        }
      }
      release_all_locked(s, 1);
      return index;
    }
    node = static_cast<party_node*>(sync::allocate_cell(sizeof(party_node)));
    node->owner = sync::thread_participant();
    node->index = static_cast<std::uint32_t>(index);
    node->next = s.head;
    s.head = offset_of(node);  // one store links it
    s.count += 1;
  }
  for (;;) {
    if (u32_ref(node->word).load(std::memory_order_acquire) != 0) break;
    const sync::slept how = sync::sleep_on(node->word, 0, deadline);
    if (how == sync::slept::changed) continue;
    guard held(s);
    if (u32_ref(node->word).load(std::memory_order_acquire) != 0) break;
    if (how == sync::slept::timed_out) {
      break_locked(s, barrier_broken_by::timeout);
    } else if (a_waiter_died(s)) {
      break_locked(s, barrier_broken_by::party_died);
    }
  }
  const std::uint32_t word =
      u32_ref(node->word).load(std::memory_order_acquire);
  const auto index = static_cast<int>(node->index);
  sync::free_cell(node, sizeof(party_node));
  if (word != 1) throw_broken(word - 1);
  return index;
}

void barrier::reset() {
  auto& s = shared();
  guard held(s);
  if (s.head != 0) break_locked(s, barrier_broken_by::reset);
  s.broken = 0;
  s.count = 0;
}

void barrier::abort() {
  auto& s = shared();
  guard held(s);
  break_locked(s, barrier_broken_by::abort);
}

int barrier::n_waiting() const {
  auto& s = shared();
  guard held(s);
  int live = 0;
  for (std::uint64_t at = s.head; at != 0; at = node_at(at)->next) {
    if (sync::participant_alive(node_at(at)->owner)) ++live;
  }
  return live;
}

bool barrier::broken() const {
  auto& s = shared();
  guard held(s);
  return s.broken != 0;
}

}  // namespace multiproc::inline v0
