// The state shared by every handle to one process, and the rules for
// learning that it has ended.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "multiproc/detail/unique_callable.hpp"
#include "posix/pidfd.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::detail {

/// The exit code reported for a child that someone else reaped when the
/// kernel kept no record of its status (Linux before 6.15). 255 is what
/// CPython's forkserver reports for an exit it could not observe.
inline constexpr int kExitcodeUnknown = 255;

enum class process_kind {
  /// A process object made with a constructor: unstarted, or a child.
  child,
  /// The main process's own object, "MainProcess".
  main,
  /// parent_process() in a child: a view of the creator, never reaped.
  parent_view,
};

struct process_state {
  process_state(process_kind kind_, pid_t creator, std::vector<unsigned> id)
      : kind(kind_), creator_pid(creator), identity(std::move(id)) {}

  // Fixed at construction, read without the lock.
  const process_kind kind;
  /// The process that constructed the object (0 for main and parent views):
  /// only it may start, join or test it.
  const pid_t creator_pid;
  /// Python's _identity: the creator's identity plus the counter value.
  const std::vector<unsigned> identity;
  bool kill_on_parent_death = false;
  /// Set by the pool for the workers it forks: see launch_request. The
  /// mask is read only by start(), so it need only outlive that call (it
  /// is a pointer: every process carries these, and a sigset_t is 128
  /// bytes).
  struct launch_hints {
    bool caller_outlives_child = false;
    const sigset_t* signal_mask = nullptr;
  } launch;

  /// Guards everything below. Never held across a blocking call, so that
  /// is_alive() and exitcode() stay quick while other threads join.
  mutable std::mutex mutex;
  std::string name;  // empty until generated (see process::name())
  bool daemon = false;
  bool starting = false;  // start() is forking; a second start() must fail
  bool started = false;
  bool closed = false;
  bool ended = false;  // the child has ended and been reaped (by anyone)
  pid_t pid = 0;
  unique_fd pidfd;
  /// Threads inside wait_until() between reading `pidfd` and polling it.
  /// close() leaves the fd to the last of them, so that none of them polls
  /// a closed fd whose number a new file may already have taken.
  unsigned waiters = 0;
  std::optional<int> exitcode;
  unique_callable target;

  /// True when the calling process may reap this one.
  bool reapable_here() const;

  /// Learns, without blocking, whether the process has ended, reaping it if
  /// it is our child. Reaping is serialized by `mutex`, which the caller
  /// holds, and the status is cached, so every thread sees the real code.
  /// Errors: std::system_error for an unexpected waitid failure.
  bool refresh_locked();

  /// Waits until the process ends or `deadline` passes. Returns whether it
  /// has ended. Reaps our own children. Takes the lock itself.
  bool wait_until(std::optional<pidfd::deadline> deadline);

  /// Throws usage_error("process object is closed") when closed. Lock held.
  void throw_if_closed_locked() const;

  /// close(): releases the pidfd now, or when the last waiter leaves.
  void release_pidfd_locked();
};

}  // namespace multiproc::detail
