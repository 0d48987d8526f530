#include "pool/worker_main.hpp"

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <exception>
#include <optional>
#include <span>
#include <string>
#include <system_error>

#include "limits/rlimit_plan.hpp"
#include "limits/task_scope.hpp"
#include "multiproc/detail/pool_engine.hpp"
#include "multiproc/detail/remote_call.hpp"
#include "posix/io.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail {
namespace {

std::int64_t monotonic_ns() {
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

bool send(int fd, wire::frame_kind kind, std::uint32_t slot,
          std::span<const std::byte> payload, std::vector<std::byte>& scratch) {
  scratch.clear();
  wire::append_frame(scratch, kind, slot, 0, payload.data(), payload.size());
  return io::write_all(fd, scratch) == 0;
}

// A task's result, with what it used (when measured) just before it: one
// write, so the measurement costs no extra system call on the way back.
bool send_result(int fd, wire::frame_kind kind, std::uint32_t slot,
                 std::span<const std::byte> payload,
                 const std::optional<usage>& used,
                 std::vector<std::byte>& scratch) {
  scratch.clear();
  if (used) {
    const wire::task_usage on_wire = wire::to_wire(*used);
    wire::append_frame(scratch, wire::frame_kind::usage, slot, 0,
                       reinterpret_cast<const std::byte*>(&on_wire),
                       sizeof on_wire);
  }
  wire::append_frame(scratch, kind, slot, 0, payload.data(), payload.size());
  return io::write_all(fd, scratch) == 0;
}

// The soft limits the parent sent for the next task (frame_kind::limits).
struct pending_limits {
  std::array<task_limit, kLimitedResources> entries{};
  std::size_t count = 0;
  std::uint32_t slot = 0;

  void take(const wire::frame_header& header, const std::byte* payload) {
    count =
        std::min<std::size_t>(header.size / sizeof(task_limit), entries.size());
    std::memcpy(entries.data(), payload, count * sizeof(task_limit));
    slot = header.slot;
  }
  std::span<const task_limit> for_slot(std::uint32_t task_slot) const {
    if (task_slot != slot) return {};
    return std::span(entries.data(), count);
  }
};

// Fails the task whose limits the kernel would not set, rather than run it
// without them.
void encode_limits_refused(std::vector<std::byte>& output) noexcept {
  try {
    throw std::system_error(EPERM, std::generic_category(),
                            "multiproc: the task's limits could not be set");
  } catch (...) {
    encode_task_failure(output);
  }
}

// Reads more of the task pipe into `buffer`. False at end of file or error.
bool read_more(int fd, wire::receive_buffer& buffer) {
  constexpr std::size_t kChunk = std::size_t{64} * 1024;
  std::size_t at = buffer.size();
  buffer.resize(at + kChunk);
  std::size_t n = 0;
  const int err = io::read_some(fd, std::span(buffer).subspan(at, kChunk), n);
  buffer.resize(at + n);
  return err == 0 && n > 0;
}

// Blocks until the SIGKILL the parent is sending arrives, reading and
// dropping whatever it still sends; returns only if the parent is gone.
void wait_for_kill(int fd) {
  wire::receive_buffer dropped;
  while (read_more(fd, dropped)) dropped.clear();
}

// A held worker's wait to be put to use: true once a frame has arrived
// (left unread for the loop), false when the parent closed its end.
bool wait_for_first_frame(int fd) {
  std::byte first{};
  std::size_t n = 0;
  return io::recv_some(fd, std::span(&first, 1), MSG_PEEK, n) == 0 && n > 0;
}

bool run_initializer(const worker_boot& boot, std::vector<std::byte>& scratch) {
  if (!boot.initializer) return true;
  std::string error;
  try {
    boot.initializer();
    return true;
  } catch (const std::exception& e) {
    error = e.what();
  } catch (...) {
    error = "unknown exception";
  }
  auto bytes = std::as_bytes(std::span(error.data(), error.size()));
  send(boot.channel, wire::frame_kind::init_failed, 0, bytes, scratch);
  return false;
}

// Runs the task whose trampoline `entry` names (a code_ref: this worker
// is a fork of the parent, or a spawned copy that took the parent's module
// numbering before its first task, so the parent's numbers are ours). An
// entry that names nothing here fails the task, not the worker.
bool run_entry(std::uint64_t entry, std::span<const std::byte> input,
               std::vector<std::byte>& output) noexcept {
  task_entry run = nullptr;
  try {
    run = unpack_entry(entry);
  } catch (...) {
    encode_task_failure(output);
    return false;
  }
  return run(input, output);
}

}  // namespace

int worker_main(const worker_boot& boot) noexcept {
  for (int fd : boot.foreign_fds) ::close(fd);
  // Lead a process group, so that a timeout or terminate() also reaches
  // whatever the task started (the parent does the same from its side, so
  // neither order of the two calls leaves a window).
  sys::setpgid(0, 0);
  std::vector<std::byte> scratch;
  if (boot.held && !wait_for_first_frame(boot.channel)) return 0;
  if (!run_initializer(boot, scratch)) return 1;

  wire::receive_buffer input;
  std::vector<std::byte> output;
  std::size_t offset = 0;
  unsigned tasks_run = 0;
  pending_limits next_limits;
  task_limit_scope task_limits;
  task_meter meter(boot.fresh_fork && !boot.initializer);
  for (;;) {
    wire::frame_header header{};
    if (!wire::whole_frame_at(input, offset, header)) {
      // Keep the unread tail only; it is at most one partial frame.
      input.erase(input.begin(),
                  input.begin() + static_cast<std::ptrdiff_t>(offset));
      offset = 0;
      if (!read_more(boot.channel, input)) return 0;  // the parent is gone
      continue;
    }
    const std::byte* payload = input.data() + offset + sizeof header;
    offset += sizeof header + header.size;
    if (header.kind == wire::frame_kind::stop) return 0;
    if (header.kind == wire::frame_kind::go) continue;
    if (header.kind == wire::frame_kind::limits) {
      next_limits.take(header, payload);
      continue;
    }

    const std::span<const task_limit> limits =
        next_limits.for_slot(header.slot);
    next_limits.count = 0;
    wire::slot& slot = boot.slots->slots[header.slot];
    const std::int64_t started_ns = monotonic_ns();
    slot.started_ns.store(started_ns, std::memory_order_relaxed);
    std::uint32_t expected = wire::slot_queued;
    if (!slot.state.compare_exchange_strong(expected, wire::slot_running,
                                            std::memory_order_acq_rel)) {
      // Cancelled before it started: say so, so the slot can be reused.
      if (!send(boot.channel, wire::frame_kind::skipped, header.slot, {},
                scratch)) {
        return 0;
      }
      continue;
    }
    const bool timed = header.timeout_ns > 0;
    // The parent counts a timed task's time from its start, which only we
    // can see: tell it, so that it need not poll the slot page.
    if (timed && !send(boot.channel, wire::frame_kind::started, header.slot, {},
                       scratch)) {
      return 0;
    }
    output.clear();
    const bool measured = header.kind == wire::frame_kind::task_measured;
    bool ok = false;
    if (measured) meter.start();
    if (limits.empty() || task_limits.apply(limits)) {
      ok = run_entry(header.entry, std::span(payload, header.size), output);
    } else {
      encode_limits_refused(output);
    }
    std::optional<usage> used;
    if (measured) {
      used = meter.finish();
    } else {
      meter.forget();
    }
    // Restored before anything else runs here: the next task gets the
    // worker's own limits (the hard ones were never touched).
    task_limits.restore();
    expected = wire::slot_running;
    if (!slot.state.compare_exchange_strong(expected, wire::slot_finished,
                                            std::memory_order_acq_rel)) {
      // The parent claimed the slot to kill us for this task (cancel,
      // timeout): starting the next task would hand it the kill.
      wait_for_kill(boot.channel);
      return 0;
    }
    // A task that returned after its timeout is a timeout, whoever noticed
    // first: the outcome does not depend on how quickly the parent reacts,
    // and a task too short to be killed does not cost a worker.
    wire::frame_kind kind =
        ok ? wire::frame_kind::value : wire::frame_kind::exception;
    if (timed && monotonic_ns() - started_ns >= header.timeout_ns) {
      kind = wire::frame_kind::timed_out;
      output.clear();
    }
    if (!send_result(boot.channel, kind, header.slot, output, used, scratch)) {
      return 0;
    }
    if (measured) meter.settle();
    if (boot.max_tasks != 0 && ++tasks_run >= boot.max_tasks) return 0;
  }
}

}  // namespace multiproc::inline v0::detail
