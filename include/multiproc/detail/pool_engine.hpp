// The untyped engine behind multiproc::pool: the dispatcher thread that
// schedules tasks onto workers, enforces timeouts, carries out
// cancellation and replaces dead workers (src/pool/pool_engine.cpp), over a
// worker back end that makes the processes and moves the frames
// (src/pool/worker_backend.hpp; by default fork_worker.cpp). The typed front
// end (multiproc/pool.hpp) turns a call into a task_record (task_record.hpp)
// and decodes the outcome.
//
// Why it does not hang where Python's pools do (spec/pools.md §3.4):
// - each worker has its own task pipe and result pipe: no lock is shared
//   between processes, so a worker killed at any instant blocks nobody;
// - the parent always knows which worker holds which task, and a shared
//   page tells it which of them had started, so a death fails exactly the
//   task that was running and the others are handed to another worker;
// - deaths are seen through pidfds and timeouts through the dispatcher's
//   own deadline: event driven, no polling;
// - user callbacks never run on the dispatcher thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "multiproc/detail/task_record.hpp"
#include "multiproc/pool_initializer.hpp"
#include "multiproc/start_method.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

class worker_backend;  // src/pool/worker_backend.hpp

struct pool_config {
  unsigned processes = 1;
  multiproc::pool_initializer initializer;
  unsigned max_tasks_per_child = 0;
  std::chrono::nanoseconds kill_grace = std::chrono::seconds(1);
  /// Every worker's caps (pool_options::limits); empty: none.
  std::optional<multiproc::limits> worker_limits;
  /// How the default back end starts workers (ignored with `backend`).
  multiproc::start_method method = multiproc::start_method::fork;
  /// What makes the workers; empty: processes of this process, started by
  /// `method` (src/pool/process_worker.hpp).
  std::shared_ptr<worker_backend> backend;
  /// Called on the submitting thread for each task before any of a batch
  /// is queued; may throw usage_error to refuse it (multiproc::mpi: code
  /// the agents cannot run). Empty: none.
  std::function<void(const task_record&)> check_task;
};

class pool_engine {
 public:
  /// Forks the workers now.
  /// Errors: std::system_error when a worker cannot be started.
  explicit pool_engine(pool_config config);
  /// Terminates if still running (callers close() and join() first).
  ~pool_engine();
  pool_engine(const pool_engine&) = delete;
  pool_engine& operator=(const pool_engine&) = delete;

  /// Queues a task. Errors: usage_error("Pool not running") after close()
  /// or terminate(); usage_error and std::system_error for task limits
  /// that cannot be applied (nothing of the batch is queued then).
  void submit(std::shared_ptr<task_record> task);
  /// Queues several tasks at once (one wake of the dispatcher).
  void submit(std::span<const std::shared_ptr<task_record>> tasks);
  /// Cancels a task: a queued one is removed; a running one has its worker
  /// killed and replaced. Returns false if it had already finished.
  bool cancel(const std::shared_ptr<task_record>& task);

  void close();
  void terminate();
  /// Errors: usage_error("Pool is still running") before close()/terminate().
  void join();
  /// As join(), until `deadline` (never, when empty). True once joined.
  bool join_until(
      std::optional<std::chrono::steady_clock::time_point> deadline);

  unsigned processes() const { return processes_; }

  /// The back end a pool_config without one uses under `method`, for back
  /// ends that host such workers among others (multiproc::mpi: rank 0's
  /// and each agent's local workers, from the rank's forkserver). The one
  /// way to it from outside the core: a shared libmultiproc keeps the back
  /// ends hidden. Errors: std::bad_alloc.
  static std::shared_ptr<worker_backend> default_backend(
      multiproc::start_method method);

  /// Errors: usage_error("can only use a pool created by current process")
  /// in a process forked from the one that built the pool. Every other
  /// member but processes() checks it too; the destructor of such a copy
  /// leaves the parent's workers alone.
  void throw_unless_owner() const;

  struct impl;

 private:
  unsigned processes_;
  std::unique_ptr<impl> impl_;
};

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
