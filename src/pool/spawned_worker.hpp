// A pool worker started by spawn (process_worker.cpp starts it): what
// crosses the exec, and the target the fresh copy of the program runs.
// A fork worker reads all this from its copy of the pool's memory; a
// spawned one gets its socket and slot page as passed fds and its
// initializer as code names plus encoded arguments.
#pragma once

#include <cstddef>
#include <vector>

namespace multiproc::inline v0::detail {

/// Where a spawned worker finds its two fds (launch_request::fds).
inline constexpr int kSpawnedChannelFd = 3;
inline constexpr int kSpawnedSlotPageFd = 4;

/// The target of a spawned worker: maps the slot page, runs the
/// initializer and the worker loop (worker_main.hpp; `held`: a worker
/// started ahead, which waits for its `go` first), and ends the
/// process with the loop's exit code. Runs after the spawned copy has
/// taken the pool's module numbering (exec_child.cpp), so the task
/// entries and function pointers the pool sends need no translation.
/// Errors: std::system_error when the page cannot be mapped (the child's
/// uncaught exception: the pool sees a worker that died at start).
void run_spawned_worker(int channel, int slot_page, unsigned max_tasks,
                        const std::vector<std::byte>& initializer, bool held);

}  // namespace multiproc::inline v0::detail
