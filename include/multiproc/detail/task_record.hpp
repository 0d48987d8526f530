// One pool task as the front end (multiproc/pool.hpp), the engine and the
// task's future share it: what to run, and the outcome once known.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "multiproc/detail/ready_listener.hpp"
#include "multiproc/limits.hpp"
#include "multiproc/usage.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

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

struct task_record;

/// Told once a task's outcome is set: how map and imap count and collect
/// their tasks. One listener serves every task of a call (a callable per
/// task was an allocation each). Called on the dispatcher thread, or on
/// the thread of cancel() or submit() when the outcome is decided there,
/// with no lock held; it must be quick and never runs user code.
class task_done_listener {
 public:
  virtual void task_done(const std::shared_ptr<task_record>& task) noexcept = 0;

 protected:
  ~task_done_listener() = default;
};

/// One task, shared by the engine and the future that reads it.
struct task_record {
  // Set at submission, then read only.
  task_entry entry = nullptr;
  /// A function pointer task's function (also named inside `input`), for
  /// engines that check where a task's code lives (pool_config::
  /// check_task); 0 for a stateless callable, whose code is the entry's.
  std::uintptr_t callable = 0;
  std::vector<std::byte> input;
  std::optional<std::chrono::nanoseconds> timeout;
  /// Copies of the Part 4 handles passed as arguments: the caller holds
  /// each object until the task has finished (API.md Part 4).
  std::vector<std::shared_ptr<const void>> keep_alive;
  /// The task's own caps (task_options::limits), and the frame the engine
  /// made of them at submit (empty: none; src/limits/rlimit_plan.hpp).
  std::optional<multiproc::limits> limits;
  std::vector<std::byte> limit_frame;
  /// Whether the worker measures it (future::usage()); map chunks, whose
  /// usage nobody can ask for, are not.
  bool measure_usage = false;
  /// How many of the caller's items it carries: a map chunk's count, 1
  /// for submit().
  std::size_t items = 1;
  /// Told after the outcome is set (map and imap; none for submit()).
  std::shared_ptr<task_done_listener> on_done;

  // The outcome. Guarded by `mutex`; `done` is notified when it is set.
  // `done` also tells the ready_listeners of multiproc::wait() and
  // as_completed() (see add_ready_listener below).
  mutable std::mutex mutex;
  mutable notifying_condition done;
  task_outcome outcome = task_outcome::pending;
  std::vector<std::byte> payload;
  int exitcode = 0;
  std::string message;
  /// What the task used, as its worker measured it; set before the outcome
  /// (the worker sends it just before the result), empty if it never ran
  /// to an end.
  std::optional<usage> used;

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

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
