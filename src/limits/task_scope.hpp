// A pool task's own limits and usage, in its worker: soft limits lowered
// for the task and restored after it, and the worker's getrusage() around
// it. The worker's hard limits are never touched, which is what makes the
// restore possible (an unprivileged process cannot raise a hard limit
// again), so the next task runs under the worker's own limits.
#pragma once

#include <sys/resource.h>

#include <array>
#include <cstddef>
#include <span>

#include "limits/rlimit_plan.hpp"
#include "multiproc/usage.hpp"

namespace multiproc::inline v0::detail {

class task_limit_scope {
 public:
  /// Lowers the soft limits `list` names (CPU: counted from now). Returns
  /// false, with nothing left changed, when the kernel refuses one.
  bool apply(std::span<const task_limit> list) noexcept;
  /// Puts back what apply() changed. Idempotent.
  void restore() noexcept;

 private:
  std::array<rlimit_entry, kLimitedResources> saved_{};
  std::size_t count_ = 0;
};

/// Measures tasks in their worker, at about one getrusage() per task: the
/// reading taken after one measured task is the baseline of the next
/// (what the worker does in between, reading a frame, is noise), and the
/// peak RSS is reset (/proc/self/clear_refs, "5": Linux 4.0) only after a
/// task that raised it, since otherwise it still stands at the baseline.
/// That reset waits for settle(), called once the task's result is sent:
/// it opens and writes a /proc file, work the task's caller need not wait
/// for. Each getrusage costs about a microsecond, a fifth of a tiny task's
/// round trip; unmeasured tasks (map chunks) cost nothing.
class task_meter {
 public:
  /// `peak_at_baseline`: nothing has run in this process that could have
  /// raised its peak above what it holds now, so the first task needs no
  /// reset. True of a fork that ran no initializer: the kernel starts a
  /// fork's peak at the RSS it inherits (dup_mm), and a worker's own start
  /// only adds to it.
  explicit task_meter(bool peak_at_baseline = false) noexcept
      : peak_at_baseline_(peak_at_baseline) {}
  ~task_meter();
  task_meter(const task_meter&) = delete;
  task_meter& operator=(const task_meter&) = delete;

  /// Before a measured task.
  void start() noexcept;
  /// After it: what it used since start().
  usage finish() noexcept;
  /// After an unmeasured task: the baseline is stale.
  void forget() noexcept {
    fresh_ = false;
    peak_at_baseline_ = false;
  }
  /// After a measured task's result is on its way: the reset its peak
  /// called for, if any. start() does it too if nobody called this.
  void settle() noexcept;

 private:
  void reset_peak() noexcept;

  int clear_refs_ = -2;  // -2: not opened yet; -1: not available
  bool fresh_ = false;   // before_ was read after the last task
  bool peak_at_baseline_ = false;
  bool reset_pending_ = false;  // the last task raised the peak
  rusage before_{};
};

}  // namespace multiproc::inline v0::detail
