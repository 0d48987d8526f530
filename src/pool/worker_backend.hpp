// The seam between the pool's dispatcher (pool_engine.cpp: the queue,
// which worker gets what, what an event means for a task) and whatever
// hosts its workers. The dispatcher sees a worker only through `worker`
// below and makes one only through `worker_backend::spawn`; a child process
// started by fork or spawn (process_worker.hpp) is the default back end,
// and an MPI agent's worker would be another implementation of the same
// few operations. The protocol the frames carry is wire.hpp's.
//
// Every member is called under the engine's lock: from the dispatcher's
// thread, or from a user's thread in cancel() and terminate() (slot() and
// signal()) and in the pool's constructor (spawn(), and signal() and
// reap() when it fails). An implementation needs no locking of its own
// against the dispatcher; its own threads, if any, are its business.
#pragma once

#include <signal.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "multiproc/limits.hpp"
#include "multiproc/pool_initializer.hpp"
#include "multiproc/start_method.hpp"
#include "pool/wire.hpp"

namespace multiproc::inline v0::detail {

struct worker_spawn_args {
  /// Run in the worker before its first task; may be empty. Under a
  /// method other than fork, portable (the pool's constructor checked).
  const multiproc::pool_initializer* initializer;
  unsigned max_tasks_per_child;
  /// The mask the worker starts with (the thread that built the pool's).
  sigset_t signal_mask;
  /// The calling thread reaps the worker before it ends (the dispatcher):
  /// see launch_options::caller_outlives_child.
  bool caller_outlives_child;
  /// Fds of the parent's that the worker must not keep.
  std::vector<int> foreign_fds;
  /// The worker's own caps, applied as a process's (checked when the pool
  /// was built); null or empty: none.
  const std::optional<multiproc::limits>* limits = nullptr;
  /// It takes the place of one that ended (the pool's first ones do not).
  bool replacement = false;
};

/// Called for each whole frame a worker sent; `payload` holds header.size
/// bytes and is valid only during the call.
using frame_handler =
    std::function<void(const wire::frame_header&, const std::byte* payload)>;

/// One worker as the dispatcher drives it: frames out, frames in, the slot
/// page it shares, two fds to poll, a signal, and a reap once it has died.
class worker {
 public:
  virtual ~worker() = default;

  /// Readable when frames (or the end of them) arrive; writable when
  /// flush() can go on. Not polled once hung_up().
  virtual int channel() const noexcept = 0;
  /// Readable once the worker has ended: then reap().
  virtual int death_fd() const noexcept = 0;
  /// Its slot for a task in flight (index < wire::kSlotsPerWorker). The
  /// dispatcher marks it queued before queueing the task's frame; the
  /// worker claims it before it runs the task (wire.hpp).
  virtual wire::slot& slot(std::uint32_t index) noexcept = 0;

  /// cancel() has acted on the task in slot `index`: marked its queued
  /// slot cancelled, or killed the worker running it. A back end whose
  /// slot page is shared with the worker has nothing to do (the worker
  /// sees the mark). One whose page is a mirror of a page elsewhere (an MPI
  /// agent's worker, src/mpi/) passes the cancel on and returns once that
  /// side has acted (one round trip, API.md Half B), so that cancel()
  /// returns with the task dropped or its worker killed.
  virtual void settle_cancel(std::uint32_t /*index*/) noexcept {}

  /// Appends a frame to the output; flush() sends it. Frames queued
  /// together may travel together.
  virtual void queue_frame(wire::frame_kind kind, std::uint32_t slot,
                           std::uint64_t entry,
                           std::span<const std::byte> payload,
                           std::int64_t timeout_ns = 0) = 0;
  /// Sends what can go without blocking. A worker that died is left to
  /// its death fd.
  virtual void flush() noexcept = 0;
  virtual bool has_unsent() const noexcept = 0;

  /// Takes what has arrived and calls `on_frame` for each whole frame, in
  /// the order sent.
  virtual void receive(const frame_handler& on_frame) = 0;
  /// The worker closed its end (it is exiting): stop polling the channel,
  /// which would stay readable until the death fd is.
  virtual bool hung_up() const noexcept = 0;

  /// SIGTERM (stop soon) or SIGKILL (stop now), to the worker and whatever
  /// its task started.
  virtual void signal(int signo) noexcept = 0;
  /// Once death_fd() is readable: collects the worker, returns its exit
  /// code (negative: the signal that ended it).
  virtual int reap() = 0;
};

/// Makes workers. Errors: spawn throws std::system_error when the OS
/// refuses (the dispatcher then retries later, or fails the queue when no
/// worker is left).
class worker_backend {
 public:
  virtual ~worker_backend() = default;
  virtual std::unique_ptr<worker> spawn(worker_spawn_args args) = 0;
  /// The pool will start no more workers (it has ended, or failed to
  /// start): drop whatever was started ahead of need. Before the pool's
  /// configuration, which spawn's pointers point into, goes away.
  virtual void retire() noexcept {}
};

/// The default back end: each worker a child of this process started by
/// `method` (process_worker.hpp). Errors: usage_error for a method that
/// has no launcher in this build (launch/launcher_for.hpp).
std::shared_ptr<worker_backend> process_worker_backend(
    multiproc::start_method method);

}  // namespace multiproc::inline v0::detail
