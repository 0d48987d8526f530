// The state shared by every handle to one process, and the rules for
// learning that it has ended: Python's side (started, closed, the cached
// exit code, the threads waiting). The OS side (reaping, waiting on the
// sentinel, signals) is the child_handle's, whatever launcher made it.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "launch/child_handle.hpp"
#include "limits/rlimit_plan.hpp"
#include "multiproc/detail/deadline.hpp"
#include "multiproc/detail/unique_callable.hpp"
#include "multiproc/limits.hpp"
#include "multiproc/start_method.hpp"
#include "multiproc/usage.hpp"

namespace multiproc::inline v0::detail {

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
  /// The caps it was given (process_options::limits), kept to explain its
  /// death, and the setrlimit calls they became, checked at construction.
  std::optional<multiproc::limits> limits;
  rlimit_plan limit_plan;
  /// process_options::start_method: empty, the creator's default at start().
  std::optional<multiproc::start_method> method;

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
  /// The started child (from the launcher), or the parent view's watch on
  /// the creator; null before start(), and for a creator already gone.
  std::unique_ptr<child_handle> child;
  /// Threads inside wait_until() between reading `child` and waiting on
  /// its sentinel. close() leaves the fd to the last of them, so that none
  /// of them polls a closed fd whose number a new file may already have
  /// taken.
  unsigned waiters = 0;
  std::optional<int> exitcode;
  /// What it used, from the reap (empty when someone else reaped it).
  std::optional<usage> used;
  unique_callable target;

  /// True when the calling process may reap this one.
  bool reapable_here() const;

  /// Learns, without blocking, whether the process has ended (the handle's
  /// poll(), which reaps our own children). Polls are serialized by
  /// `mutex`, which the caller holds, and the code is cached, so every
  /// thread sees the real one. A process we may only watch is never marked
  /// ended: its code is not ours.
  /// Errors: std::system_error for an unexpected waitid failure.
  bool refresh_locked();

  /// Waits until the process ends or `deadline` passes. Returns whether it
  /// has ended. Reaps our own children. Takes the lock itself.
  /// Errors: std::system_error from ppoll or waitid.
  bool wait_until(std::optional<steady_deadline> deadline);

  /// Sends `signo` unless the process has ended (never to a reaped pid).
  /// Returns 0 or an errno value. Lock held.
  int send_signal_locked(int signo) noexcept;

  /// Throws usage_error("process object is closed") when closed. Lock held.
  void throw_if_closed_locked() const;

  /// close(): releases the sentinel now, or when the last waiter leaves.
  void release_child_locked();
};

}  // namespace multiproc::inline v0::detail
