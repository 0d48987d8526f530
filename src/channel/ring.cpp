// The ring's put and get: reserve a slot, copy, commit — each step one CAS
// on the slot's control word (ring_layout.hpp says why deaths can be
// undone at every step) — and the waits around them.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "channel/data_cells.hpp"
#include "channel/holders.hpp"
#include "channel/ring_ops.hpp"
#include "channel/ring_slots.hpp"
#include "multiproc/detail/channel_ring.hpp"
#include "multiproc/detail/sync_handle_traits.hpp"
#include "multiproc/errors.hpp"
#include "posix/sys.hpp"
#include "sync/futex_wait.hpp"
#include "sync/participants.hpp"

namespace multiproc::inline v0::detail::channel {
namespace {

std::uint64_t round_up(std::uint64_t value, std::uint64_t to) {
  return (value + to - 1) / to * to;
}

std::uint64_t power_of_two_at_least(std::uint64_t value) {
  std::uint64_t p = 1;
  while (p < value) p <<= 1;
  return p;
}

// Frees position `position`'s slot (claimed as reading by the caller) and
// what its item held, then moves the head over freed positions.
void release_slot(ring_local& l, slot_view& v,
                  std::uint64_t position) noexcept {
  ring_header& h = l.header();
  slot& s = *v.s;
  if (s.charged != 0) u64_ref(h.bytes_held).fetch_sub(s.size);
  if (s.cell != 0) free_data(l, s.cell, s.size);
  s.cell = 0;
  s.charged = 0;
  v.store(
      {static_cast<std::uint32_t>(position + h.slots), slot_state::free, 0});
  for (;;) {
    // A position not yet put reads as distance 0 (free for its producer),
    // so the head never passes the tail.
    std::uint64_t head = u64_ref(h.head).load();
    const slot_view at = view(l, head);
    if (distance(at.ctl().seq, head) < static_cast<std::int32_t>(h.slots))
      break;
    u64_ref(h.head).compare_exchange_strong(head, head + 1);
  }
  wake_putters(h);
}

// Undoes what an ended process left in a slot: a writer's half item is
// dropped (it never existed), a reader's item goes back (got again).
// True if the slot changed.
bool repair(ring_local& l, slot_view& v, std::uint64_t position,
            std::uint32_t me) noexcept {
  const slot_ctl c = v.ctl();
  if (c.state == slot_state::reading) {
    if (sync::participant_alive(c.owner)) return false;
    if (!v.change({c.seq, slot_state::full, 0})) return true;
    wake_getters(l.header());
    return true;
  }
  if (c.state == slot_state::writing) {
    if (sync::participant_alive(c.owner)) return false;
    if (!v.change({c.seq, slot_state::reading, me})) return true;
    release_slot(l, v, position);
    return true;
  }
  return false;
}

}  // namespace

put_outcome try_put(ring_local& l, std::span<const std::byte> item,
                    std::uint32_t me) {
  ring_header& h = l.header();
  const bool charge = h.uncharged == 0 || item.size() != h.item_bytes;
  // Room for the bytes first (a cheap look; charged for real below).
  if (charge && u64_ref(h.bytes_held).load() + item.size() > h.max_bytes) {
    return put_outcome::no_room;
  }
  std::uint64_t position = 0;
  slot_view v = view(l, 0);
  for (;;) {
    position = u64_ref(h.tail).load();
    v = view(l, position);
    const slot_ctl c = v.ctl();
    const std::int32_t d = distance(c.seq, position);
    if (d < 0) {
      // Still holding the position a lap ago: full, unless its holder
      // ended (then undo it and look again).
      if (repair(l, v, position - h.slots, me)) continue;
      return put_outcome::no_room;
    }
    if (d > 0) continue;  // the tail moved on meanwhile
    if (c.state == slot_state::free &&
        v.change({c.seq, slot_state::writing, me})) {
      // A copy: a failed CAS writes the tail it found into `expected`,
      // and another producer may have moved the tail for us already.
      std::uint64_t expected = position;
      u64_ref(h.tail).compare_exchange_strong(expected, position + 1);
      break;
    }
    // Reserved by another producer that has not moved the tail yet (or
    // died before it could): move it for them.
    std::uint64_t expected = position;
    u64_ref(h.tail).compare_exchange_strong(expected, position + 1);
  }
  slot& s = *v.s;
  const auto undo = [&] {
    v.store(
        {static_cast<std::uint32_t>(position + h.slots), slot_state::free, 0});
    wake_putters(h);
  };
  s.size = item.size();
  s.cell = 0;
  s.charged = 0;
  // Charge the bytes: one CAS, never past max_bytes whoever races.
  u64_ref held(h.bytes_held);
  if (charge) {
    std::uint64_t seen = held.load();
    do {
      if (seen + item.size() > h.max_bytes) {
        undo();
        return put_outcome::no_room;
      }
    } while (!held.compare_exchange_weak(seen, seen + item.size()));
    s.charged = 1;
  }
  std::byte* to = s.inline_bytes;
  if (item.size() > kInlineBytes) {
    int error = 0;
    const std::uint64_t cell = allocate_data(l, item.size(), error);
    if (cell == 0) {
      held.fetch_sub(item.size());
      s.charged = 0;
      undo();
      if (error != 0) {
        throw std::system_error(error, std::generic_category(), "mprotect");
      }
      return put_outcome::no_room;
    }
    s.cell = cell;
    to = data_at(l, cell);
  }
  if (s.cell != 0) {
    // The cell's first word was its free-list link, which a producer that
    // lost the race to pop this cell may still be reading (its CAS then
    // fails on the tag): written atomically, so that read is not a data
    // race (TSan saw it with threads putting large items at once).
    std::uint64_t first = 0;
    std::memcpy(&first, item.data(), sizeof first);
    u64_ref(*reinterpret_cast<std::uint64_t*>(to))
        .store(first, std::memory_order_relaxed);
    std::memcpy(to + sizeof first, item.data() + sizeof first,
                item.size() - sizeof first);
  } else if (!item.empty()) {
    std::memcpy(to, item.data(), item.size());
  }
  // Commit: the item is visible whole, or (had we died above) not at all.
  v.store({static_cast<std::uint32_t>(position), slot_state::full, 0});
  wake_getters(h);
  return put_outcome::done;
}

namespace {

// Takes position `q`'s item if it is there; true if it did. Undoes what
// an ended process left in the slot on the way.
bool take(ring_local& l, slot_view& v, std::uint64_t q, item_reader read,
          void* context, std::uint32_t me) {
  ring_header& h = l.header();
  for (;;) {
    const slot_ctl c = v.ctl();
    if (!names(c.seq, q)) return false;  // freed already, or not this lap
    if (c.state == slot_state::full) {
      if (!v.change({c.seq, slot_state::reading, me})) continue;
      slot& s = *v.s;
      // A cell another process filled may lie past what is usable here.
      if (const int error =
              s.cell != 0 ? l.data_usable.ensure(s.cell - 1 + s.size) : 0;
          error != 0) {
        v.store({c.seq, slot_state::full, 0});
        wake_getters(h);
        throw std::system_error(error, std::generic_category(), "mprotect");
      }
      const std::byte* from = s.cell != 0 ? data_at(l, s.cell) : s.inline_bytes;
      try {
        read(context, std::span<const std::byte>(from, s.size));
      } catch (...) {
        // Nothing was taken: the item stays, whole, for the next get().
        v.store({c.seq, slot_state::full, 0});
        wake_getters(h);
        throw;
      }
      // Counted as this process's task before the slot is freed, so that
      // join() never sees the item in neither place.
      if (h.joinable != 0) count_task_got(l);
      release_slot(l, v, q);
      return true;
    }
    if (!repair(l, v, q, me)) return false;  // a live writer or reader
    v.raw = u64_ref(v.s->ctl).load();
  }
}

}  // namespace

get_outcome try_get(ring_local& l, item_reader read, void* context,
                    std::uint32_t me) {
  ring_header& h = l.header();
  std::uint64_t q = u64_ref(h.head).load();
  // The usual case first: the oldest item is there. Not reading the tail
  // (which every put writes) saves a cache line from the producer's CPU.
  {
    slot_view v = view(l, q);
    const slot_ctl c = v.ctl();
    if (names(c.seq, q) && c.state == slot_state::full &&
        take(l, v, q, read, context, me)) {
      return get_outcome::done;
    }
  }
  const std::uint64_t tail = u64_ref(h.tail).load();
  for (; q < tail; ++q) {
    slot_view v = view(l, q);
    if (take(l, v, q, read, context, me)) return get_outcome::done;
  }
  return get_outcome::empty;
}

bool head_item_ready(ring_local& l) noexcept {
  const std::uint64_t q = u64_ref(l.header().head).load();
  const slot_ctl c = view(l, q).ctl();
  return names(c.seq, q) && c.state == slot_state::full;
}

bool has_item(ring_local& l) noexcept {
  ring_header& h = l.header();
  const std::uint64_t tail = u64_ref(h.tail).load();
  for (std::uint64_t q = u64_ref(h.head).load(); q < tail; ++q) {
    const slot_ctl c = view(l, q).ctl();
    if (!names(c.seq, q)) continue;
    if (c.state == slot_state::full ||
        (c.state == slot_state::reading && !sync::participant_alive(c.owner))) {
      return true;
    }
  }
  return false;
}

namespace {

// Items in the ring or being got: what join() waits for besides tasks.
std::size_t held_items(ring_local& l) {
  ring_header& h = l.header();
  const std::uint64_t tail = u64_ref(h.tail).load();
  std::size_t count = 0;
  for (std::uint64_t q = u64_ref(h.head).load(); q < tail; ++q) {
    const slot_ctl c = view(l, q).ctl();
    if (names(c.seq, q) &&
        (c.state == slot_state::full || c.state == slot_state::reading)) {
      ++count;
    }
  }
  return count;
}

// Python's shutdown(immediate=True): what the queue holds is dropped, and
// a dropped item counts as finished.
void discard_all(ring_local& l, std::uint32_t me) {
  const item_reader discard = [](void*, std::span<const std::byte>) {};
  while (try_get(l, discard, nullptr, me) == get_outcome::done) {
    if (l.header().joinable != 0) (void)settle_task(l);
  }
}

void wake_joiners(ring_header& h) noexcept {
  if (u32_ref(h.join_waiters).load() == 0) return;
  u32_ref(h.done_seq).fetch_add(1);
  sync::wake(h.done_seq, INT_MAX);
}

std::string closed_message(const ring_local& l) {
  char address[32];
  std::snprintf(address, sizeof address, "%p", static_cast<void*>(l.base));
  const std::string kind = l.kind;
  if (kind == "SimpleQueue") return "handle is closed";
  std::string type = "queue";
  if (kind == "JoinableQueue") type = "joinable_queue";
  return kind + " <multiproc::" + type + " object at " + address +
         "> is closed";
}

ring_local& open_local(const std::shared_ptr<ring_local>& local) {
  if (local->closed.load()) throw usage_error(closed_message(*local));
  return *local;
}

}  // namespace

ring_local::~ring_local() {
  if (!closed.load()) let_go(*this);
  unlink_local(*this);
  if (base != nullptr) ::munmap(base, length);
}

std::shared_ptr<ring_local> make_ring(const ring_options& options,
                                      bool track_holders) {
  const std::uint64_t slots =
      options.maxsize != 0 ? options.maxsize : kDefaultSlots;
  const std::uint64_t max_bytes = options.max_bytes;
  // Four times the largest cell: room for any mix of sizes up to max_bytes
  // held at once, whatever the free lists hold. Address space only.
  const std::uint64_t data_bytes =
      4 * power_of_two_at_least(max_bytes < kReturnedBytes ? kReturnedBytes
                                                           : max_bytes);
  const std::uint64_t data_offset = round_up(
      kHeaderBytes + kHoldersBytes + slots * kSlotBytes, kReturnedBytes);
  const std::uint64_t total = data_offset + data_bytes;

  (void)sync::process_participant();  // may throw; before anything is made
  const int fd = sys::memfd_create("multiproc-queue", MFD_CLOEXEC);
  if (fd < 0)
    throw std::system_error(errno, std::generic_category(), "memfd_create");
  if (sys::ftruncate(fd, static_cast<off_t>(total)) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "ftruncate");
  }
  // The data area is reserved, not usable (posix/usable_prefix.hpp): the
  // header, holders and slots are.
  void* base =
      sys::mmap(nullptr, total, PROT_NONE, MAP_SHARED | MAP_NORESERVE, fd, 0);
  int error = errno;
  // The mapping keeps the memory; no descriptor stays open per queue.
  ::close(fd);
  if (base == MAP_FAILED) {
    throw std::system_error(error, std::generic_category(), "mmap");
  }
  auto local = std::make_shared<ring_local>();  // owns the mapping from here
  local->base = static_cast<std::byte*>(base);
  local->length = total;
  if (sys::mprotect(base, data_offset, PROT_READ | PROT_WRITE) != 0) {
    error = errno;
    throw std::system_error(error, std::generic_category(), "mprotect");
  }
  local->data_usable.reset(local->base + data_offset, data_bytes, 0);
  local->kind = options.kind;
  local->birth = sync::next_birth();
  ring_header& h = local->header();
  h.slots = slots;
  h.maxsize = options.maxsize;
  h.max_bytes = max_bytes;
  h.data_bytes = data_bytes;
  h.total_bytes = total;
  h.data_offset = data_offset;
  h.joinable = options.joinable ? 1 : 0;
  // Items of one size that fit max_bytes even with every slot full need no
  // byte account: the shared counter both sides would write is skipped.
  h.item_bytes = options.item_bytes;
  h.uncharged = options.item_bytes != 0 && options.item_bytes <= kInlineBytes &&
                        options.item_bytes * slots <= max_bytes
                    ? 1
                    : 0;
  if (track_holders) {
    link_local(*local);
    hold(*local);
  }
  return local;
}

ring::ring(const ring_options& options) : local_(make_ring(options, true)) {}

bool ring::put(std::span<const std::byte> item,
               const std::optional<steady_deadline>& deadline) {
  ring_local& l = open_local(local_);
  ring_header& h = l.header();
  if (item.size() > h.max_bytes) {
    throw std::length_error("item of " + std::to_string(item.size()) +
                            " bytes is larger than max_bytes (" +
                            std::to_string(h.max_bytes) + ")");
  }
  note_use(l, side::put);
  const std::uint32_t me = sync::process_participant();
  const auto attempt = [&] {
    // Looked at before every try, not once per call: a putter woken by the
    // room an immediate shutdown made must not fill it (Python's put holds
    // the queue's lock across both).
    if (u32_ref(h.shutdown).load() != 0)
      throw broken_pipe_error("queue shut down");
    if (try_put(l, item, me) != put_outcome::done) return false;
    // A put that landed while shutdown(immediate=True) was discarding came
    // before it, so its item goes as the shutdown's own did. The commit in
    // try_put, this load, the shutdown's exchange and its discarding's
    // loads are all seq_cst: either this sees the flag or the discarding
    // sees the item.
    if (u32_ref(h.shutdown).load() == 2) discard_all(l, me);
    return true;
  };
  bool spun = false;
  for (;;) {
    if (attempt()) return true;
    if (!spun && !passed(deadline)) {
      spun = true;
      if (spin(deadline, attempt, [] { return false; })) return true;
    }
    if (!side_alive(l, side::get))
      throw broken_pipe_error("all consumers gone");
    if (passed(deadline)) return false;
    if (sleep_unless(h.get_seq, h.put_waiters, deadline, attempt)) return true;
  }
}

bool ring::get(item_reader read, void* context,
               const std::optional<steady_deadline>& deadline) {
  ring_local& l = open_local(local_);
  ring_header& h = l.header();
  note_use(l, side::get);
  const std::uint32_t me = sync::process_participant();
  const auto attempt = [&] {
    return try_get(l, read, context, me) == get_outcome::done;
  };
  bool spun = false;
  for (;;) {
    if (attempt()) return true;
    if (u32_ref(h.shutdown).load() != 0) throw eof_error("queue shut down");
    if (!spun && !passed(deadline)) {
      spun = true;
      if (spin(deadline, attempt, [&] { return head_item_ready(l); })) {
        return true;
      }
    }
    if (!side_alive(l, side::put)) {
      // A producer that put and then closed: its item is there now.
      if (attempt()) return true;
      throw eof_error("all producers gone");
    }
    if (passed(deadline)) return false;
    if (sleep_unless(h.put_seq, h.get_waiters, deadline, attempt)) return true;
  }
}

std::size_t ring::qsize() const {
  ring_local& l = *local_;
  ring_header& h = l.header();
  const std::uint64_t tail = u64_ref(h.tail).load();
  std::size_t count = 0;
  for (std::uint64_t q = u64_ref(h.head).load(); q < tail; ++q) {
    const slot_ctl c = view(l, q).ctl();
    if (!names(c.seq, q)) continue;
    if (c.state == slot_state::full ||
        (c.state == slot_state::reading && !sync::participant_alive(c.owner))) {
      ++count;
    }
  }
  return count;
}

bool ring::full() const {
  ring_header& h = local_->header();
  if (h.maxsize != 0 && qsize() >= h.maxsize) return true;
  return u64_ref(h.bytes_held).load() >= h.max_bytes;
}

std::size_t ring::maxsize() const noexcept { return local_->header().maxsize; }

void ring::close() noexcept {
  if (local_->closed.exchange(true)) return;
  let_go(*local_);
}

bool ring::closed() const noexcept { return local_->closed.load(); }

void ring::shutdown(bool immediate) {
  ring_local& l = *local_;
  ring_header& h = l.header();
  if (immediate) {
    (void)u32_ref(h.shutdown).exchange(2);  // seq_cst: see put()
    discard_all(l, sync::process_participant());
  } else {
    std::uint32_t open = 0;  // an immediate shutdown stays immediate
    (void)u32_ref(h.shutdown).compare_exchange_strong(open, 1);
  }
  // Everyone waiting looks again, and finds the flag.
  u32_ref(h.done_seq).fetch_add(1);
  sync::wake(h.done_seq, INT_MAX);
  u32_ref(h.put_seq).fetch_add(1);
  sync::wake(h.put_seq, INT_MAX);
  u32_ref(h.get_seq).fetch_add(1);
  sync::wake(h.get_seq, INT_MAX);
}

void ring::task_done() {
  ring_local& l = *local_;
  if (!settle_task(l)) throw usage_error("task_done() called too many times");
  wake_joiners(l.header());
}

bool ring::join(const std::optional<steady_deadline>& deadline) {
  ring_local& l = *local_;
  ring_header& h = l.header();
  for (;;) {
    const std::uint32_t seen = u32_ref(h.done_seq).load();
    u32_ref(h.join_waiters).fetch_add(1);
    struct unregister {
      std::uint32_t& waiters;
      ~unregister() { u32_ref(waiters).fetch_sub(1); }
    } guard{h.join_waiters};
    const std::size_t queued = held_items(l);
    if (queued == 0 && open_tasks(l) == 0) return true;
    if (queued > 0 && !side_alive(l, side::get)) {
      throw broken_pipe_error("all consumers gone");
    }
    if (passed(deadline)) return false;
    // Wakes at each task_done(), and at least every 50 ms to see deaths.
    (void)sync::sleep_on(h.done_seq, seen, deadline);
  }
}

std::size_t ring::lost_tasks() const {
  settle_ended(*local_);
  return static_cast<std::size_t>(u64_ref(local_->header().lost_tasks).load());
}

const void* ring::address() const noexcept { return local_->base; }

std::uint64_t ring::birth() const noexcept { return local_->birth; }

}  // namespace multiproc::inline v0::detail::channel
