// What a freshly forked child does before any library or user code runs.
//
// Async-signal safety: everything here is async-signal-safe, because the
// child of a multi-threaded parent may only make such calls until it has
// re-established its own state.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <span>

#include "launch/launcher.hpp"

namespace multiproc::inline v0::detail {

struct child_setup {
  pid_t parent_pid = 0;
  bool kill_on_parent_death = false;
  /// When set, the signal mask to install (the caller's, when the fork ran
  /// on another thread whose mask differs).
  const sigset_t* signal_mask = nullptr;
  /// Put in place last, so that one passed as fd 0 wins over /dev/null.
  std::span<const passed_fd> fds{};
  /// Applied last, so that nothing the setup itself needs counts against
  /// them; null: none.
  const rlimit_plan* limits = nullptr;
};

/// Arms PR_SET_PDEATHSIG when asked (dying at once if the parent already
/// died), installs the signal mask, points stdin at /dev/null as Python
/// does (discarding input the parent had buffered), and puts the passed
/// fds at their numbers, then applies the resource limits. A passed fd
/// or a limit that cannot be set ends the child
/// with exit code 1 and a line on stderr, before any user code runs.
void prepare_child(const child_setup& setup) noexcept;

}  // namespace multiproc::inline v0::detail
