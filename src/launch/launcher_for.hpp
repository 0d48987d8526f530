// The one place a start method becomes a launcher: process, async and the
// pool's workers all ask here, so that a new method (the forkserver, being
// built separately) is one more case in launcher_for.cpp, not a search
// through every caller.
#pragma once

#include "launch/launcher.hpp"
#include "multiproc/start_method.hpp"

namespace multiproc::inline v0::detail {

/// The launcher that makes children of `method`: fork → default_launcher(),
/// spawn → spawn_launcher().
/// Errors: usage_error for forkserver (not in this build), with the same
/// text as set_start_method's.
launcher& launcher_for(start_method method);

/// What a launch failure of `method` names in its std::system_error:
/// "fork" or "posix_spawn".
const char* launch_call_name(start_method method) noexcept;

}  // namespace multiproc::inline v0::detail
