// The pool's default worker back end (worker_backend.hpp): one worker
// process, started by fork or spawn, the socket the dispatcher talks to it
// through, and the page of task slots it shares with it. The dispatcher
// (pool_engine.cpp) decides what to send and what an event means; this
// file only moves bytes and signals.
//
// The two methods differ only in how the worker starts: a fork inherits
// its socket end and an anonymous shared page and runs worker_main() from
// its copy of our memory; a spawned copy of the program gets the socket
// end and a memfd page as passed fds and the initializer as bytes
// (spawned_worker.hpp). Everything after the start is the same.
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
#include "multiproc/start_method.hpp"
#include "pool/wire.hpp"
#include "pool/worker_backend.hpp"
#include "posix/mapping.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail {

class process_worker final : public worker {
 public:
  /// Starts a worker running worker_main(), by `method`; `held` (not
  /// under fork): one that waits for a `go` frame before it runs anything
  /// (worker_standby.hpp). Errors: std::system_error when the socket, the
  /// page or the start fail; usage_error when a forkserver refuses to
  /// serve.
  static std::unique_ptr<process_worker> spawn(worker_spawn_args args,
                                               start_method method,
                                               bool held = false);
  ~process_worker() override;
  process_worker(const process_worker&) = delete;
  process_worker& operator=(const process_worker&) = delete;

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
  process_worker() = default;

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
