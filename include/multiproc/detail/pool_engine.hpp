// The untyped engine behind multiproc::pool: worker processes, their task
// and result pipes, the dispatcher thread, timeouts, cancellation and the
// replacement of dead workers. The typed front end (multiproc/pool.hpp)
// turns a call into a `task_entry` plus encoded arguments, and decodes the
// outcome.
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

#include "multiproc/detail/ready_listener.hpp"

namespace multiproc::detail {

/// Runs in a worker: decodes the arguments from `input`, calls the task and
/// encodes its outcome into `output`. Returns true when `output` holds a
/// value, false when it holds an encoded exception. Must not throw.
using task_entry = bool (*)(std::span<const std::byte> input,
                            std::vector<std::byte>& output) noexcept;

enum class task_outcome {
  pending,
  value,      // payload: the encoded value
  exception,  // payload: the encoded exception
  died,       // the worker died while running it; see exitcode
  timed_out,  // its timeout passed; the worker was killed
  cancelled,  // cancel(), or terminate() before it finished
  broken,     // the pool's initializer failed; see message
};

/// One task, shared by the engine and the future that reads it.
struct task_record {
  // Set at submission, then read only.
  task_entry entry = nullptr;
  std::vector<std::byte> input;
  std::optional<std::chrono::nanoseconds> timeout;
  /// Called on the dispatcher thread after the outcome is set, with no lock
  /// held. Used by map/imap to count and collect; never user code.
  std::function<void()> on_done;

  // The outcome. Guarded by `mutex`; `done` is notified when it is set.
  // `done` also tells the ready_listeners of multiproc::wait() and
  // as_completed() (see add_ready_listener below).
  mutable std::mutex mutex;
  mutable notifying_condition done;
  task_outcome outcome = task_outcome::pending;
  std::vector<std::byte> payload;
  int exitcode = 0;
  std::string message;

  bool finished() const {
    std::lock_guard lock(mutex);
    return outcome != task_outcome::pending;
  }
  /// Waits until the outcome is set or `deadline` passes; true if set.
  bool wait_until(
      std::optional<std::chrono::steady_clock::time_point> deadline) const;

  /// For waits on many futures: `listener` is told with `token` once the
  /// outcome is set; at once (on this thread) when it already is. Checked
  /// and registered under `mutex`, so an outcome set meanwhile is not
  /// missed. Errors: std::bad_alloc.
  void add_ready_listener(ready_listener& listener, std::size_t token) const {
    {
      std::lock_guard lock(mutex);
      if (outcome == task_outcome::pending) {
        done.add(listener, token);
        return;
      }
    }
    listener.notify(token);
  }
  /// Undoes add_ready_listener(); afterwards `listener` is not called.
  void remove_ready_listener(ready_listener& listener,
                             std::size_t token) const noexcept {
    done.remove(listener, token);
  }
};

struct pool_config {
  unsigned processes = 1;
  std::function<void()> initializer;
  unsigned max_tasks_per_child = 0;
  std::chrono::nanoseconds kill_grace = std::chrono::seconds(1);
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
  /// or terminate().
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

  unsigned processes() const { return processes_; }

  struct impl;

 private:
  unsigned processes_;
  std::unique_ptr<impl> impl_;
};

}  // namespace multiproc::detail
