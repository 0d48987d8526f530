// mp::condition: each waiter links a node of its own into the condition's
// list (under the condition's lock) and sleeps on the node's own word;
// notify(n) marks and wakes the first n live ones. Nothing is handed back
// from waiter to notifier — the handshake that makes Python's notify()
// hang on a dead waiter (gh-75158) and glibc's pshared condvar block
// (bug 21422) does not exist here.
//
// Death safety of the list: it is changed only under the condition's lock,
// and each change is committed by one store (a link or an unlink), so a
// process that dies holding the lock — whose lock the next acquirer takes
// over — leaves a list that is whole. A waiter found dead by a notify is
// unlinked and its node freed; a notified waiter unlinks and frees its own
// node after re-acquiring the lock.
#include <atomic>
#include <climits>
#include <cstdint>

#include "multiproc/errors.hpp"
#include "multiproc/synchronize.hpp"
#include "sync/arena.hpp"
#include "sync/futex_wait.hpp"
#include "sync/participants.hpp"

namespace multiproc::inline v0 {

namespace sync = detail::sync;
using u32_ref = std::atomic_ref<std::uint32_t>;
using u64_ref = std::atomic_ref<std::uint64_t>;

struct detail::sync::condition_state {
  std::uint64_t head;  // arena offset of the first waiter node, 0: none
};

namespace {

struct waiter_node {
  std::uint32_t word;   // 0 waiting, 1 notified; the waiter sleeps on it
  std::uint32_t owner;  // the waiting thread's participant id
  std::uint64_t next;   // arena offset, 0: last
};

std::uint64_t offset_of(waiter_node* node) {
  return static_cast<std::uint64_t>(reinterpret_cast<std::byte*>(node) -
                                    sync::arena_if_mapped());
}

waiter_node* node_at(std::uint64_t offset) {
  return offset == 0
             ? nullptr
             : reinterpret_cast<waiter_node*>(sync::arena_if_mapped() + offset);
}

// The link that points at `node` (the head, or a predecessor's next), or
// null when it is not in the list.
std::uint64_t* link_to(sync::condition_state& s, std::uint64_t node) {
  std::uint64_t* link = &s.head;
  while (*link != 0) {
    if (*link == node) return link;
    link = &node_at(*link)->next;
  }
  return nullptr;
}

void unlink(sync::condition_state& s, waiter_node* node) {
  if (std::uint64_t* link = link_to(s, offset_of(node))) {
    u64_ref(*link).store(node->next, std::memory_order_release);
  }
}

}  // namespace

condition::condition() : condition(rlock()) {}
condition::condition(mutex with_lock)
    : lock_(std::move(with_lock)), cell_(sizeof(sync::condition_state)) {}
condition::condition(rlock with_lock)
    : lock_(std::move(with_lock)), cell_(sizeof(sync::condition_state)) {}

sync::condition_state& condition::shared() const noexcept {
  return *static_cast<sync::condition_state*>(cell_.get());
}

acquire_result condition::try_acquire() {
  return std::visit([](auto& l) { return l.acquire(false); }, lock_);
}

acquire_result condition::acquire_steady(
    const std::optional<detail::steady_deadline>& deadline) {
  return std::visit(
      [&](auto& l) -> acquire_result {
        if (!deadline) return l.acquire();
        return l.acquire_until(*deadline);
      },
      lock_);
}

void condition::release() {
  std::visit([](auto& l) { l.release(); }, lock_);
}

bool condition::owner_died() const {
  return std::visit([](const auto& l) { return l.owner_died(); }, lock_);
}

bool condition::is_owned() const {
  if (const auto* r = std::get_if<rlock>(&lock_)) return r->is_owned();
  // Python's Condition over a Lock: owned when the lock is held by anyone.
  return std::get<mutex>(lock_).locked();
}

bool condition::wait_steady(
    const std::optional<detail::steady_deadline>& deadline) {
  if (!is_owned()) {
    throw usage_error("must acquire() condition before using wait()");
  }
  auto& s = shared();
  auto* node =
      static_cast<waiter_node*>(sync::allocate_cell(sizeof(waiter_node)));
  node->owner = sync::thread_participant();
  // Linked at the end: notify wakes in the order waiting began.
  std::uint64_t* last = &s.head;
  while (*last != 0) last = &node_at(*last)->next;
  u64_ref(*last).store(offset_of(node), std::memory_order_release);

  std::uint32_t depth = 1;
  if (auto* r = std::get_if<rlock>(&lock_)) {
    depth = r->release_all();
  } else {
    std::get<mutex>(lock_).release();
  }
  for (;;) {
    if (u32_ref(node->word).load(std::memory_order_acquire) != 0) break;
    if (sync::sleep_on(node->word, 0, deadline) == sync::slept::timed_out) {
      break;
    }
  }
  if (auto* r = std::get_if<rlock>(&lock_)) {
    (void)r->restore(depth);
  } else {
    (void)std::get<mutex>(lock_).acquire();
  }
  const bool notified =
      u32_ref(node->word).load(std::memory_order_acquire) != 0;
  unlink(s, node);
  sync::free_cell(node, sizeof(waiter_node));
  return notified;
}

void condition::notify(int n) {
  if (!is_owned()) throw usage_error("lock is not owned");
  auto& s = shared();
  int woken = 0;
  std::uint64_t* link = &s.head;
  while (*link != 0 && woken < n) {
    waiter_node* node = node_at(*link);
    if (u32_ref(node->word).load(std::memory_order_acquire) != 0) {
      link = &node->next;  // notified earlier; its waiter unlinks it
      continue;
    }
    const std::uint64_t next = node->next;
    if (!sync::participant_alive(node->owner)) {
      // Died waiting: it is not counted and cannot absorb the notify.
      u64_ref(*link).store(next, std::memory_order_release);
      sync::free_cell(node, sizeof(waiter_node));
      continue;
    }
    // Marked before unlinking: a notifier that dies between the two leaves
    // a notified waiter, which unlinks itself.
    u32_ref(node->word).store(1, std::memory_order_release);
    sync::wake(node->word, 1);
    u64_ref(*link).store(next, std::memory_order_release);
    ++woken;
  }
}

void condition::notify_all() { notify(INT_MAX); }

}  // namespace multiproc::inline v0
