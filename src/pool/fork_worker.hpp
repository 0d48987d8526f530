// The pool's worker back end: one worker process made by fork, the socket
// the dispatcher talks to it through, and the page of task slots it
// shares with it. The dispatcher (pool_engine.cpp) decides what to send
// and what an event means; this file only moves bytes and signals.
//
// It is the seam for other kinds of worker (a forkserver's, an MPI agent's
// in Part 5): each offers the same few operations — spawn, queue and send
// frames, receive frames, signal, reap — and two fds to poll.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "multiproc/process.hpp"
#include "pool/wire.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::detail {

struct worker_spawn_args {
  const std::function<void()>* initializer;
  unsigned max_tasks_per_child;
  /// The mask the worker starts with (the thread that built the pool's).
  sigset_t signal_mask;
  /// The calling thread reaps the worker before it ends (the dispatcher):
  /// see launch_options::caller_outlives_child.
  bool caller_outlives_child;
  /// Fds of the parent's that the worker must not keep.
  std::vector<int> foreign_fds;
};

class fork_worker {
 public:
  /// Forks a worker running worker_main().
  /// Errors: std::system_error when the socket, the page or the fork fail.
  static std::unique_ptr<fork_worker> spawn(worker_spawn_args args);
  ~fork_worker();
  fork_worker(const fork_worker&) = delete;
  fork_worker& operator=(const fork_worker&) = delete;

  /// Readable when frames (or end of file) arrive; writable for flush().
  int channel() const noexcept { return channel_.get(); }
  /// Readable when the worker has ended.
  int death_fd() const noexcept { return pidfd_; }
  pid_t pid() const noexcept { return pid_; }
  wire::slot& slot(std::uint32_t index) noexcept { return page_->slots[index]; }

  /// Appends a frame to the output; flush() sends it.
  void queue_frame(wire::frame_kind kind, std::uint32_t slot,
                   std::uint64_t entry, std::span<const std::byte> payload,
                   std::int64_t timeout_ns = 0);
  /// Sends what the socket takes without blocking. A worker that died is
  /// left to its death fd.
  void flush() noexcept;
  bool has_unsent() const noexcept { return sent_ < out_.size(); }

  /// Reads what has arrived and calls `on_frame` for each whole frame.
  void receive(const std::function<void(const wire::frame_header&,
                                        const std::byte*)>& on_frame);
  /// The worker closed its end (it is exiting): stop polling the channel,
  /// which would stay readable until the death fd is.
  bool hung_up() const noexcept { return hung_up_; }

  /// SIGTERM or SIGKILL to the worker's process group (it leads one, so a
  /// task's own children go with it) and to the worker itself.
  void signal(int signo) noexcept;

  /// Once death_fd() is readable: reaps the worker, returns its exit code.
  int reap();

 private:
  fork_worker() = default;

  // Optional: a default-constructed process would consume a name counter.
  // Ours is dropped with the worker, never closed: the user may hold
  // copies from active_children().
  std::optional<process> proc_;
  pid_t pid_ = 0;
  int pidfd_ = -1;  // owned by proc_
  unique_fd channel_;
  wire::slot_page* page_ = nullptr;
  std::vector<std::byte> out_;  // frames not yet sent
  std::size_t sent_ = 0;
  wire::receive_buffer in_;  // bytes of frames not yet whole
  bool hung_up_ = false;
};

}  // namespace multiproc::detail
