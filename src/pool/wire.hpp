// What travels between the pool's parent and a worker, and the page they
// share.
//
// Each worker has one socket pair with the parent. Parent → worker: task
// frames and a final stop frame. Worker → parent: one result frame per
// task, written before the worker starts the next one, so a worker that
// dies has delivered every result it finished. (A socket rather than a pipe
// so that the parent can write with MSG_NOSIGNAL: a worker that died must
// not raise SIGPIPE in the user's program.)
// Shared slot page: one slot per task in flight on that worker. The parent
// marks a slot queued before sending the task; the worker claims it (queued
// → running, with its start time) before running the task; the parent can
// cancel it (queued → cancelled) while it has not started. The
// compare-and-swap on the slot decides the race between a cancel and a
// start, and after a death the page says which task was running.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

namespace multiproc::detail::wire {

enum class frame_kind : std::uint32_t {
  task = 1,
  stop = 2,
  value = 3,
  exception = 4,
  skipped = 5,      // the task was cancelled before it started
  init_failed = 6,  // payload: the initializer's error text
};

struct frame_header {
  frame_kind kind;
  std::uint32_t slot;
  std::uint64_t entry;  // task frames: the task_entry's address
  std::uint64_t size;   // bytes of payload that follow
};
static_assert(sizeof(frame_header) == 24);

enum slot_state : std::uint32_t {
  slot_free = 0,
  slot_queued = 1,
  slot_running = 2,
  slot_cancelled = 3,
};

struct slot {
  std::atomic<std::uint32_t> state;
  std::atomic<std::int64_t> started_ns;  // CLOCK_MONOTONIC, set when claimed
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
                  std::atomic<std::int64_t>::is_always_lock_free,
              "slots live in memory shared between processes");

/// Tasks in flight on one worker at most; also the slot page's size.
inline constexpr std::uint32_t kSlotsPerWorker = 32;

struct slot_page {
  slot slots[kSlotsPerWorker];
};

inline void append_frame(std::vector<std::byte>& out, frame_kind kind,
                         std::uint32_t slot_index, std::uint64_t entry,
                         const std::byte* data, std::size_t size) {
  frame_header header{kind, slot_index, entry, size};
  std::size_t at = out.size();
  out.resize(at + sizeof header + size);
  std::memcpy(out.data() + at, &header, sizeof header);
  if (size != 0) std::memcpy(out.data() + at + sizeof header, data, size);
}

/// If `buffer` starting at `offset` holds a whole frame, copies its header
/// and returns true.
inline bool whole_frame_at(const std::vector<std::byte>& buffer,
                           std::size_t offset, frame_header& header) {
  if (buffer.size() - offset < sizeof header) return false;
  std::memcpy(&header, buffer.data() + offset, sizeof header);
  return buffer.size() - offset - sizeof header >= header.size;
}

}  // namespace multiproc::detail::wire
