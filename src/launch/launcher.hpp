// The seam between `process` and the ways a child can be made.
//
// `process` never names a concrete back end (CPython's Popen classes play
// this role): it hands a launcher a launch_request and gets back a
// child_handle, which polls, waits for, signals and closes the child
// whatever made it. The fork launcher (launch/fork_launcher.cpp) is the only
// one today; forkserver and spawn (API.md Part 5) slot in behind the same
// interface, reading the request's portable form and returning handles
// whose exit status comes from wherever they learn it.
#pragma once

#include <signal.h>

#include <cstddef>
#include <memory>
#include <span>

#include "launch/child_handle.hpp"

namespace multiproc::inline v0::detail {

struct portable_request;  // launch/portable_request.hpp
struct rlimit_plan;       // limits/rlimit_plan.hpp

/// How the caller wants the child started, beyond what the process object
/// says. process::start() passes the defaults; the pool passes its own
/// through start_process() (launch/start_process.hpp).
struct launch_options {
  /// The calling thread is known to outlive the child (a pool's dispatcher
  /// thread, which reaps its workers before it ends), so PR_SET_PDEATHSIG
  /// may be tied to it and the fork need not be handed to the anchor
  /// thread.
  bool caller_outlives_child = false;
  /// The signal mask the child starts with; null: the calling thread's.
  /// Library threads block every signal (so that process-directed signals
  /// reach the user's threads); a child one of them forks must start with
  /// the mask of the user's program instead. Read only during launch().
  const sigset_t* signal_mask = nullptr;
  /// The child leads a new process group from its first instruction on.
  /// Spawn sets it at the exec (POSIX_SPAWN_SETPGROUP), since a parent
  /// cannot setpgid a child that has exec'd; fork ignores it, its caller
  /// calls setpgid on both sides of the fork instead (the pool's worker).
  bool lead_process_group = false;
};

/// An fd of the launching process that the child gets as `child_fd`,
/// without FD_CLOEXEC (it is meant for the child, across an exec too).
struct passed_fd {
  int fd;
  int child_fd;
};

/// The most fds one launch passes (a fork child places them without
/// allocating). More is EINVAL from launch().
inline constexpr std::size_t kMaxPassedFds = 64;

struct launch_request {
  /// The in-process form, which fork runs: after the launcher's own child
  /// setup, child_main(context) in the child, reading `context` from its
  /// copy of the parent's memory. Never returns.
  void (*child_main)(void* context) noexcept = nullptr;
  void* context = nullptr;
  /// The portable form, for a child that shares no memory with the caller
  /// (forkserver, spawn): null when the caller made none. Fork ignores it.
  const portable_request* portable = nullptr;
  /// Placed in the child after its setup, by every launcher. The other fds
  /// are the launcher's business: fork inherits them all, as always.
  std::span<const passed_fd> fds{};
  /// The child gets SIGKILL when the creating process dies.
  bool kill_on_parent_death = false;
  /// Resource limits the child sets on itself before child_main (checked
  /// by the caller); null: none. A launcher that cannot apply them must
  /// refuse the request (EINVAL) rather than start a child without them.
  const rlimit_plan* limits = nullptr;
  launch_options options{};
};

class launcher {
 public:
  virtual ~launcher() = default;
  /// Starts a child. On success `out` holds its handle; its sentinel() is
  /// -1 only when the child was reaped by someone else before it could be
  /// opened (it has run and ended, status unknown). Returns 0, or an errno
  /// value with no child left behind.
  virtual int launch(const launch_request& request,
                     std::unique_ptr<child_handle>& out) noexcept = 0;
};

/// The launcher `process::start()` uses: fork.
launcher& default_launcher();

}  // namespace multiproc::inline v0::detail
