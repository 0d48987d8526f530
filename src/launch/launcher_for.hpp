// The one place a start method becomes a launcher: process, async and the
// pool's workers all ask here, so that a new method is one more case in
// launcher_for.cpp, not a search through every caller.
#pragma once

#include "launch/launcher.hpp"
#include "multiproc/start_method.hpp"

namespace multiproc::inline v0::detail {

/// The forkserver launcher: a request to this process's forkserver
/// (started on first use). Reads only the request's portable form;
/// refuses a request without one (EINVAL), and returns EPERM when the
/// server refuses to serve (ensure_forkserver_ready() says why).
launcher& forkserver_launcher();

/// The launcher that makes children of `method`: fork → default_launcher(),
/// forkserver → forkserver_launcher(), spawn → spawn_launcher().
launcher& launcher_for(start_method method) noexcept;

/// What a launch failure of `method` names in its std::system_error:
/// "fork", "forkserver" or "posix_spawn".
const char* launch_call_name(start_method method) noexcept;

}  // namespace multiproc::inline v0::detail
