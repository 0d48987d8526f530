// The seam between `process` and the ways a child can be made.
//
// `process` never names a concrete back end (CPython's Popen classes play
// this role): it hands a launcher the function the child must run and gets
// back a pid and a pidfd. The fork launcher (src/posix/fork_launcher.cpp) is
// the only one today; a forkserver or zygote launcher slots in behind the
// same interface.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include "posix/unique_fd.hpp"

namespace multiproc::detail {

struct launch_request {
  /// Runs in the child, after the launcher's own child setup. Never returns.
  void (*child_main)(void* context) noexcept;
  void* context;
  /// The child gets SIGKILL when the creating process dies.
  bool kill_on_parent_death;
  /// The calling thread is known to outlive the child (a pool's dispatcher
  /// thread, which reaps its workers before it ends), so PR_SET_PDEATHSIG
  /// may be tied to it and the fork need not be handed to the anchor
  /// thread.
  bool caller_outlives_child = false;
  /// The signal mask the child starts with; null: the calling thread's.
  /// Library threads block every signal (so that process-directed signals
  /// reach the user's threads); a child one of them forks must start with
  /// the mask of the user's program instead.
  const sigset_t* signal_mask = nullptr;
};

struct launched_child {
  pid_t pid = 0;
  /// Proven to refer to our child. Empty only when the child was already
  /// reaped by someone else before we could open it (a foreign waitpid(-1)
  /// or SIGCHLD set to SIG_IGN): it has run and ended, status unknown.
  unique_fd pidfd;
};

class launcher {
 public:
  virtual ~launcher() = default;
  /// Starts a child running request.child_main(request.context).
  /// Returns 0, or an errno value with no child left behind.
  virtual int launch(const launch_request& request,
                     launched_child& out) noexcept = 0;
};

/// The launcher `process::start()` uses: fork.
launcher& default_launcher();

}  // namespace multiproc::detail
