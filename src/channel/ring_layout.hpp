// The shared memory of one ring, and this process's record of it.
//
// One memfd mapping, in this order:
//   header    (4 KiB)   positions, futex words, byte budget, free lists
//   holders   (16 KiB)  per process that holds the ring: a word (holders.cpp)
//                       and its tasks got and not done (joinable queues)
//   slots     (N x 128) the ring proper: one control word and the item
//   data      (reserve) items too large for a slot, in cells of 128 << k
// Only pages that are touched use memory (MAP_NORESERVE on a sparse memfd):
// max_bytes is address space, not memory.
//
// A slot's control word says, in one 64-bit atomic, which position of the
// ring it holds, in which state, and for whom:
//   bits  0-31  seq: the position (mod 2^32) the slot is for
//   bits 32-34  state: free, writing, full, reading
//   bits 35-63  owner: the participant id of the process writing/reading
// A position p moves free(p) -> writing(p, producer) -> full(p) ->
// reading(p, consumer) -> free(p + N). Every step is one CAS, so a process
// that dies between steps leaves a state someone else can finish: a dead
// writer's slot becomes free(p + N) with nothing in it (the item never
// existed), a dead reader's slot goes back to full(p) (the item is got
// again, whole). Bounded MPMC after D. Vyukov's sequence-numbered ring,
// with owners added so that deaths can be undone.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>

#include "posix/usable_prefix.hpp"

namespace multiproc::inline v0::detail::channel {

inline constexpr std::size_t kHeaderBytes = 4096;
inline constexpr std::uint32_t kHolderEntries = 1024;
// Each holder entry's word, then (joinable queues) the items that holder
// got and has not yet marked task_done().
inline constexpr std::size_t kHoldersBytes =
    std::size_t{kHolderEntries} * (8 + 8);
inline constexpr std::size_t kSlotBytes = 128;
inline constexpr std::size_t kInlineBytes = 96;
/// Ring size when maxsize is 0: 1 MiB of slots (API.md: at most 1 MiB
/// fixed per queue).
inline constexpr std::size_t kDefaultSlots = 8192;
inline constexpr std::size_t kSmallestCell = 128;
inline constexpr int kCellClasses = 48;
/// Items of this size or more have cells whose pages go back to the system
/// when the item is got.
inline constexpr std::size_t kReturnedBytes = std::size_t{64} * 1024;

enum class slot_state : std::uint32_t {
  free = 0,
  writing = 1,
  full = 2,
  reading = 3
};

struct slot_ctl {
  std::uint32_t seq;
  slot_state state;
  std::uint32_t owner;
};

inline std::uint64_t pack(const slot_ctl& c) noexcept {
  return std::uint64_t{c.seq} |
         (std::uint64_t{static_cast<std::uint32_t>(c.state)} << 32) |
         (std::uint64_t{c.owner} << 35);
}
inline slot_ctl unpack(std::uint64_t word) noexcept {
  return {static_cast<std::uint32_t>(word),
          static_cast<slot_state>((word >> 32) & 7u),
          static_cast<std::uint32_t>(word >> 35)};
}

struct slot {
  std::uint64_t ctl;
  std::uint64_t size;     // the item's bytes
  std::uint64_t cell;     // data-area offset + 1 of its cell; 0: inline
  std::uint32_t charged;  // 1: size is counted in bytes_held
  std::uint32_t unused;
  std::byte inline_bytes[kInlineBytes];
};
static_assert(sizeof(slot) == kSlotBytes);

struct ring_header {
  // Fixed at construction.
  std::uint64_t slots;    // N
  std::uint64_t maxsize;  // 0: none (the ring's N still bounds it)
  std::uint64_t max_bytes;
  std::uint64_t data_bytes;   // the data area's reserve
  std::uint64_t total_bytes;  // the whole mapping
  std::uint64_t data_offset;  // where the data area starts (64 KiB aligned)
  alignas(64) std::uint64_t head;     // oldest position not yet freed
  alignas(64) std::uint64_t tail;     // next position to reserve
  alignas(64) std::uint32_t put_seq;  // futex: bumped at each commit
  std::uint32_t get_waiters;
  alignas(64) std::uint32_t get_seq;  // futex: bumped when room appears
  std::uint32_t put_waiters;
  alignas(64) std::uint64_t bytes_held;  // charged bytes of items not freed
  std::uint32_t shared;            // 1 once a second process has held the ring
  std::uint32_t shutdown;          // 0, 1: shutdown(), 2: shutdown(immediate)
  std::uint32_t holders_overflow;  // holders that found no entry: live forever
  std::uint32_t joinable;          // 1: count tasks (joinable_queue)
  std::uint32_t holders_high;      // 1 + the highest holder entry ever claimed
  std::uint32_t unused3;
  std::uint64_t item_bytes;  // every item's size when fixed (ring_options)
  std::uint32_t uncharged;   // 1: items of item_bytes skip bytes_held
  std::uint32_t unused2;
  std::uint64_t resident_cells;        // bytes of freed large cells kept mapped
  alignas(64) std::uint32_t done_seq;  // futex: bumped by task_done()
  std::uint32_t join_waiters;
  std::uint64_t orphan_tasks;      // got, not done, by holders without an entry
                                   // or that closed: never lost
  std::uint64_t lost_tasks;        // got, not done, by holders that ended
  alignas(64) std::uint64_t bump;  // data-area offset of the first unused byte
  std::uint64_t
      free_cells[kCellClasses];  // lock-free stacks: (offset/128+1) | tag<<40
  // Pipes, in the ring whose holders count the sides: wait() calls
  // watching the first and the second end. A sender that commits while the
  // count of the end it sent to is not zero writes the pipe's eventfd
  // (wait.cpp says why this is enough). Each holder's task word counts its
  // own watches (low half: first end, high half: second), so that the
  // watches of a process that ends go with it (holders.cpp).
  alignas(64) std::uint32_t watchers[2];
  std::uint32_t pipe_sides;  // 1: task words count watches, not tasks
  std::uint32_t unused4;
};
static_assert(sizeof(ring_header) <= kHeaderBytes);

/// This process's record of a ring, shared by its handles here.
struct ring_local {
  std::byte* base = nullptr;  // the mapping
  std::size_t length = 0;
  std::atomic<int> entry{-1};      // this process's holder entry, -1: none
  int pending_entry = -1;          // set across a fork for the child to take
  std::uint64_t pending_word = 0;  // what the child expects to find there
  std::atomic<bool> closed{false};
  std::atomic<bool> used_put{false};
  std::atomic<bool> used_get{false};
  // Pipes: this process closed the end counted as that side (holders.cpp).
  std::atomic<bool> dropped_put{false};
  std::atomic<bool> dropped_get{false};
  const char* kind = "Queue";
  std::uint64_t birth = 0;  // sync::next_birth() at the making, here
  // How much of the data area this process can touch: cells are made
  // usable here as they are first used (posix/usable_prefix.hpp).
  usable_prefix data_usable;
  ring_local* prev = nullptr;  // this process's rings (holders.cpp)
  ring_local* next = nullptr;

  ring_header& header() const noexcept {
    return *reinterpret_cast<ring_header*>(base);
  }
  std::uint64_t* holders() const noexcept {
    return reinterpret_cast<std::uint64_t*>(base + kHeaderBytes);
  }
  std::uint64_t* tasks() const noexcept {
    return reinterpret_cast<std::uint64_t*>(base + kHeaderBytes +
                                            std::size_t{kHolderEntries} * 8);
  }
  slot& slot_at(std::uint64_t position) const noexcept {
    auto* slots = reinterpret_cast<slot*>(base + kHeaderBytes + kHoldersBytes);
    return slots[position % header().slots];
  }
  std::byte* data() const noexcept { return base + header().data_offset; }
  ~ring_local();
};

using u64_ref = std::atomic_ref<std::uint64_t>;
using u32_ref = std::atomic_ref<std::uint32_t>;

}  // namespace multiproc::inline v0::detail::channel
