// The forkserver itself (API.md Part 5, "The forkserver"): a copy of the
// program, started by exec, that became the server at its guard. It forks
// a child per request of its one process and reports each child's end.
#pragma once

#include <sys/types.h>

#include <string_view>

#include "launch/exec_bootstrap.hpp"

namespace multiproc::inline v0::detail {

/// Serves the process `caller` over `socket` until that socket closes,
/// then exits; each child it forks runs `serve`. Refuses (the hello says
/// why, and the copy exits 1) when the program has more than one thread.
/// Never returns.
[[noreturn]] void run_forkserver(int socket, pid_t caller,
                                 serve_function serve) noexcept;

/// For a copy that cannot become the server (it returned from main before
/// its guard): tells the waiting process why, as the hello.
void refuse_to_serve(int socket, std::string_view reason) noexcept;

}  // namespace multiproc::inline v0::detail
