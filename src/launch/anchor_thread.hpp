// Making a child on the process's anchor thread (launch/anchor_thread.cpp),
// so that its PR_SET_PDEATHSIG follows this process, not the thread that
// asked for it, which may end first (prctl(2)).
#pragma once

#include <signal.h>

#include <memory>

#include "launch/launcher.hpp"

namespace multiproc::inline v0::detail {

/// Makes the child for `request` on the anchor thread, starting it with
/// `mask` (the asking thread's signal mask, or the request's own).
using anchored_start = int (*)(const launch_request& request,
                               const sigset_t* mask,
                               std::unique_ptr<child_handle>& out) noexcept;

/// Runs `start` on the anchor thread (made on first use in each process)
/// and returns its result; an errno value when the thread cannot be made.
int launch_on_anchor(anchored_start start, const launch_request& request,
                     std::unique_ptr<child_handle>& out) noexcept;

}  // namespace multiproc::inline v0::detail
