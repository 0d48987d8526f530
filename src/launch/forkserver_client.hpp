// This process's forkserver, as the process sees it: one per process that
// uses it, started lazily, restarted after it died, reaped by the library
// when it ends. Not a `process`: not in active_children(), not joined at
// exit, no name counter. Thread safety: every function, from any thread
// (one mutex per process serializes the requests on the socket).
#pragma once

#include <cstddef>
#include <span>

#include "launch/forkserver_protocol.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail {

/// Starts the forkserver if none is running, without waiting for it to be
/// ready (set_start_method, get_context). Errors are left for the first
/// start, which tries again.
void start_forkserver_early() noexcept;

/// Makes sure a forkserver is running and ready, starting (or restarting)
/// one first, and waits for it.
/// Errors: usage_error with the contract's text when the server refuses
/// (threads at its guard, main returned before it); std::system_error
/// when it cannot be started.
void ensure_forkserver_ready();

/// What the server said about one request.
struct forkserver_child_fds {
  pid_t pid = 0;
  unique_fd pidfd;
  unique_fd report;
};

/// Sends one request (header plus inline payload, and its fds) and takes
/// the reply, starting the server first if needed. Returns 0, or an errno
/// value: the server's fork error, EPIPE when the server died meanwhile
/// (it is restarted by the next request), EPERM when it refuses to serve.
int request_forkserver_child(std::span<const std::byte> message,
                             std::span<const int> fds,
                             forkserver_child_fds& out) noexcept;

/// Reaps the server if it has ended (a child's handle saw it go), so that
/// it is never left a zombie; the next request starts a new one.
void reap_forkserver_if_ended() noexcept;

/// The server's pid, or 0 when none is running (for tests and benches).
pid_t forkserver_pid() noexcept;

}  // namespace multiproc::inline v0::detail
