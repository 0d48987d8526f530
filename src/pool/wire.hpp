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
// → running, with its start time) before running the task, and marks it
// finished before sending the result; the parent can cancel it (queued →
// cancelled) while it has not started. The
// compare-and-swap on the slot decides the race between a cancel and a
// start, and after a death the page says which task was running.
// To kill a running task (cancel, timeout) the parent first claims its slot
// (running → kill_pending), and kills only if that succeeds; a worker whose
// task returns into a claimed slot sends nothing and starts nothing more,
// so the kill can only take the task it was aimed at.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "multiproc/usage.hpp"

namespace multiproc::inline v0::detail::wire {

enum class frame_kind : std::uint32_t {
  task = 1,
  stop = 2,
  value = 3,
  exception = 4,
  skipped = 5,      // the task was cancelled before it started
  init_failed = 6,  // payload: the initializer's error text
  // A task with a timeout has started (its slot holds the start time): the
  // parent's clock for it runs from now. Sent for timed tasks only.
  started = 7,
  // The task ended after its timeout had passed; its outcome is dropped.
  timed_out = 8,
  // Parent → worker, just before a task frame for the same slot: soft
  // limits for that task alone (an array of limits/rlimit_plan.hpp's
  // task_limit).
  limits = 9,
  // Worker → parent, just before a task's result frame: a task_usage.
  usage = 10,
  // As `task`, and measure it: a usage frame comes before its result.
  // Only submit()'s tasks ask (their futures expose usage()).
  task_measured = 11,
  // Parent → a worker started ahead and held (pool/worker_standby.hpp):
  // it is a worker of the pool now; it runs the initializer, then tasks.
  go = 12,
};

struct frame_header {
  frame_kind kind;
  std::uint32_t slot;
  // Task frames: the task_entry as a packed code_ref (module, offset;
  // detail/remote_call.hpp), never its address.
  std::uint64_t entry;
  std::uint64_t size;       // bytes of payload that follow
  std::int64_t timeout_ns;  // task frames: the task's timeout; 0: none
};
static_assert(sizeof(frame_header) == 32);

enum slot_state : std::uint32_t {
  slot_free = 0,
  slot_queued = 1,
  slot_running = 2,
  slot_cancelled = 3,
  // The task has returned and its result is being sent: it is no longer
  // running, so its timeout cannot kill the worker any more.
  slot_finished = 4,
  // The parent is killing the worker for this task (cancel or timeout):
  // the worker must not start another one.
  slot_kill_pending = 5,
};

struct slot {
  std::atomic<std::uint32_t> state;
  std::atomic<std::int64_t> started_ns;  // CLOCK_MONOTONIC, set when claimed
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free &&
                  std::atomic<std::int64_t>::is_always_lock_free,
              "slots live in memory shared between processes");

/// What a task used, as it travels (multiproc::usage in fixed-size fields).
struct task_usage {
  std::int64_t user_cpu_us;
  std::int64_t system_cpu_us;
  std::uint64_t max_rss;
  std::uint64_t minor_faults;
  std::uint64_t major_faults;
  std::uint64_t voluntary_switches;
  std::uint64_t involuntary_switches;
};
static_assert(sizeof(task_usage) == 56);

inline task_usage to_wire(const usage& u) noexcept {
  return {u.user_cpu.count(),    u.system_cpu.count(), u.max_rss,
          u.minor_faults,        u.major_faults,       u.voluntary_switches,
          u.involuntary_switches};
}

inline usage usage_of(const task_usage& w) noexcept {
  usage u;
  u.user_cpu = std::chrono::microseconds(w.user_cpu_us);
  u.system_cpu = std::chrono::microseconds(w.system_cpu_us);
  u.max_rss = w.max_rss;
  u.minor_faults = w.minor_faults;
  u.major_faults = w.major_faults;
  u.voluntary_switches = w.voluntary_switches;
  u.involuntary_switches = w.involuntary_switches;
  return u;
}

/// Tasks in flight on one worker at most; also the slot page's size.
inline constexpr std::uint32_t kSlotsPerWorker = 32;

struct slot_page {
  slot slots[kSlotsPerWorker];
};

/// std::allocator, except that resize() leaves new elements
/// default-initialized: for bytes, unwritten. A receive buffer grows by a
/// whole read's worth before each read; zero-filling that (256 KiB in the
/// parent, 64 KiB in a worker) on every read cost more than the tasks, and
/// in a freshly forked worker it took a copy-on-write fault per page.
template <class T>
struct uninitialized_allocator : std::allocator<T> {
  using value_type = T;
  uninitialized_allocator() noexcept = default;
  template <class U>
  explicit uninitialized_allocator(const uninitialized_allocator<U>&) noexcept {
  }
  template <class U>
  struct rebind {
    using other = uninitialized_allocator<U>;
  };
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

/// Bytes received and not yet consumed.
using receive_buffer =
    std::vector<std::byte, uninitialized_allocator<std::byte>>;

inline void append_frame(std::vector<std::byte>& out, frame_kind kind,
                         std::uint32_t slot_index, std::uint64_t entry,
                         const std::byte* data, std::size_t size,
                         std::int64_t timeout_ns = 0) {
  frame_header header{kind, slot_index, entry, size, timeout_ns};
  std::size_t at = out.size();
  out.resize(at + sizeof header + size);
  std::memcpy(out.data() + at, &header, sizeof header);
  if (size != 0) std::memcpy(out.data() + at + sizeof header, data, size);
}

/// If `buffer` starting at `offset` holds a whole frame, copies its header
/// and returns true.
inline bool whole_frame_at(const receive_buffer& buffer, std::size_t offset,
                           frame_header& header) {
  if (buffer.size() - offset < sizeof header) return false;
  std::memcpy(&header, buffer.data() + offset, sizeof header);
  return buffer.size() - offset - sizeof header >= header.size;
}

}  // namespace multiproc::inline v0::detail::wire
