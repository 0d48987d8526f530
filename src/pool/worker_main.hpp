// The loop a pool worker runs in its own process.
#pragma once

#include <functional>
#include <vector>

#include "pool/wire.hpp"

namespace multiproc::inline v0::detail {

struct worker_boot {
  /// The worker's end of its socket pair: tasks in, results out.
  int channel;
  wire::slot_page* slots;
  /// Inherited fds that belong to the parent or to other workers; the
  /// worker closes them so it holds nothing that is not its own.
  std::vector<int> foreign_fds;
  /// Run before the first task; empty: none. Its exception (its what())
  /// breaks the pool.
  std::function<void()> initializer;
  unsigned max_tasks;  // 0: no limit
  /// A fork that has run nothing since (see task_meter): its first
  /// measured task needs no reset of the peak RSS.
  bool fresh_fork = false;
  /// Started ahead of need (pool/worker_standby.hpp): wait for the first
  /// frame (a `go`) before the initializer, so that one that is never
  /// used runs none of the user's code; end of file first: exit quietly.
  bool held = false;
};

/// Runs the initializer, then tasks until a stop frame, the end of the task
/// pipe (the parent is gone) or max_tasks. Returns the exit code.
int worker_main(const worker_boot& boot) noexcept;

}  // namespace multiproc::inline v0::detail
