// The launcher behind each start method.
#pragma once

#include "launch/launcher.hpp"
#include "multiproc/start_method.hpp"

namespace multiproc::inline v0::detail {

/// The forkserver launcher: a request to this process's forkserver
/// (started on first use). Reads only the request's portable form;
/// refuses a request without one (EINVAL), and returns EPERM when the
/// server refuses to serve (ensure_forkserver_ready() says why).
launcher& forkserver_launcher();

/// fork: default_launcher(); forkserver: forkserver_launcher(); spawn:
/// spawn_launcher().
launcher& launcher_for(start_method method) noexcept;

}  // namespace multiproc::inline v0::detail
