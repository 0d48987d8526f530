// The pool's first worker back end (worker_backend.hpp): one worker
// process made by fork, the socket the dispatcher talks to it through, and
// the page of task slots it shares with it. The dispatcher (pool_engine.cpp)
// decides what to send and what an event means; this file only moves bytes
// and signals.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "multiproc/process.hpp"
#include "pool/wire.hpp"
#include "pool/worker_backend.hpp"
#include "posix/mapping.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail {

class fork_worker final : public worker {
 public:
  /// Forks a worker running worker_main().
  /// Errors: std::system_error when the socket, the page or the fork fail.
  static std::unique_ptr<fork_worker> spawn(worker_spawn_args args);
  ~fork_worker() override;
  fork_worker(const fork_worker&) = delete;
  fork_worker& operator=(const fork_worker&) = delete;

  /// Readable when frames (or end of file) arrive; writable for flush().
  int channel() const noexcept override { return channel_.get(); }
  /// Readable when the worker has ended.
  int death_fd() const noexcept override { return pidfd_; }
  pid_t pid() const noexcept { return pid_; }
  wire::slot& slot(std::uint32_t index) noexcept override {
    return page_->slots[index];
  }

  /// Appends a frame to the output; flush() sends it.
  void queue_frame(wire::frame_kind kind, std::uint32_t slot,
                   std::uint64_t entry, std::span<const std::byte> payload,
                   std::int64_t timeout_ns = 0) override;
  /// Sends what the socket takes without blocking. A worker that died is
  /// left to its death fd.
  void flush() noexcept override;
  bool has_unsent() const noexcept override { return sent_ < out_.size(); }

  /// Reads what has arrived and calls `on_frame` for each whole frame.
  void receive(const frame_handler& on_frame) override;
  /// The worker closed its end (it is exiting): stop polling the channel,
  /// which would stay readable until the death fd is.
  bool hung_up() const noexcept override { return hung_up_; }

  /// SIGTERM or SIGKILL to the worker's process group (it leads one, so a
  /// task's own children go with it) and to the worker itself.
  void signal(int signo) noexcept override;

  /// Once death_fd() is readable: reaps the worker, returns its exit code.
  int reap() override;

 private:
  fork_worker() = default;

  // Optional: a default-constructed process would consume a name counter.
  // Ours is dropped with the worker, never closed: the user may hold
  // copies from active_children().
  std::optional<process> proc_;
  pid_t pid_ = 0;
  int pidfd_ = -1;  // owned by proc_
  unique_fd channel_;
  wire::slot_page* page_ = nullptr;  // in page_mapping_
  unique_mapping page_mapping_;
  std::vector<std::byte> out_;  // frames not yet sent
  std::size_t sent_ = 0;
  wire::receive_buffer in_;  // bytes of frames not yet whole
  bool hung_up_ = false;
};

}  // namespace multiproc::inline v0::detail
