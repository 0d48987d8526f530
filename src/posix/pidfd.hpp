// Waiting on, reaping and signalling a process through its pidfd
// (pidfd_open(2), Linux 5.3+; waitid(P_PIDFD), Linux 5.4+).
//
// A pidfd names one process for as long as the fd is open, so a signal sent
// or a wait made through it can never reach a different process that has
// reused the pid. It becomes readable when the process ends, whoever holds
// copies of its other fds. No function here throws: each returns 0 or an
// errno value, for the portable layer to turn into exceptions.
#pragma once

#include <poll.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <span>

#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail::pidfd {

using deadline = std::chrono::steady_clock::time_point;

/// Opens a pidfd for `pid`, which must be our child and not yet reaped, and
/// proves that with waitid(WNOWAIT): were the pid reaped by someone else and
/// reused, the proof fails with ECHILD.
int open_child(pid_t pid, unique_fd& out) noexcept;

/// Opens a pidfd for any process (our parent, say).
int open_any(pid_t pid, unique_fd& out) noexcept;

/// What a non-blocking look at a child found.
enum class child_state {
  running,
  /// We reaped it; `exitcode` holds its code.
  reaped,
  /// Someone else reaped it (a foreign waitpid(-1), SIGCHLD set to
  /// SIG_IGN); `exitcode` holds the code the kernel kept, if it kept one.
  reaped_elsewhere,
};

/// Reaps the child behind `fd` if it has ended, without blocking. When we
/// reaped it and `usage` is not null, `*usage` receives its resource usage
/// (the kernel's, at the reap: the child and the descendants it waited for).
int try_reap(int fd, child_state& state, std::optional<int>& exitcode,
             struct rusage* usage = nullptr) noexcept;

/// Sends `signo`. A process that has already ended is not an error.
int send_signal(int fd, int signo) noexcept;

/// Waits until at least one of `fds` is readable or `until` passes (never,
/// when empty). A deadline already past polls once. Signals (EINTR) do not
/// end the wait early. `ready` receives the number of readable fds.
int wait_readable(std::span<pollfd> fds, std::optional<deadline> until,
                  int& ready) noexcept;

/// True when `fd` is readable now (the process has ended).
bool has_ended(int fd) noexcept;

/// The exit code the kernel recorded for the ended process behind `fd`
/// when its reaper released it (PIDFD_INFO_EXIT, Linux 6.15+), whoever the
/// reaper was; looked for again briefly, as the record lags the reap.
/// Empty on older kernels, and for a process not yet reaped.
std::optional<int> recorded_exit_code(int fd) noexcept;

/// Turns a waitid() siginfo into Python's exit code: n for exit(n), -N for
/// death by signal N.
int exitcode_from(int code, int status) noexcept;

}  // namespace multiproc::inline v0::detail::pidfd
