// A launched child, as the process that started it sees it: CPython's
// Popen minus the launch (poll, wait, send_signal, close, sentinel).
//
// `process_state` keeps the Python-level state (started, closed, the cached
// exit code, the threads waiting) and asks the handle about the OS side, so
// the source of the exit status is the handle's business: our own waitid()
// for a child we forked (kernel_child.hpp), a forkserver's report for a
// child that is the server's (Part 5), with no change to `process`.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>

#include "multiproc/usage.hpp"

namespace multiproc::inline v0::detail {

/// The exit code reported for a child that someone else reaped when the
/// kernel kept no record of its status (Linux before 6.15). 255 is what
/// CPython's forkserver reports for an exit it could not observe.
inline constexpr int kExitcodeUnknown = 255;

/// What one look at a child found.
struct child_status {
  bool ended = false;
  /// Once ended: Python's exit code (n for exit(n), -N for signal N) from
  /// the real source, kExitcodeUnknown when that source lost it. Empty
  /// while running, and for a process this one may watch but not reap (a
  /// copy inherited through fork, or our parent): its code is not ours.
  std::optional<int> exitcode;
  /// Once ended and reaped by this process: what the child used (the
  /// kernel's rusage at the reap). Empty when someone else reaped it, and
  /// where the source does not say (a forkserver's report).
  std::optional<usage> used;
};

class child_handle {
 public:
  using deadline = std::chrono::steady_clock::time_point;

  child_handle() = default;
  child_handle(const child_handle&) = delete;
  child_handle& operator=(const child_handle&) = delete;
  virtual ~child_handle() = default;

  virtual pid_t pid() const noexcept = 0;

  /// An fd that becomes readable when the child ends (Popen.sentinel; a
  /// pidfd), or -1 when there is none: after close(), or for a child that
  /// was reaped before it could be opened. Readiness does not reap.
  virtual int sentinel() const noexcept = 0;

  /// Popen.poll(): without blocking, has the child ended, and how. Reaps it
  /// when this process may. Once an exit code has been found it is kept.
  /// Returns 0 or an errno value. Not thread-safe: callers serialize
  /// poll(), send_signal() and close() (process_state holds its mutex).
  virtual int poll(child_status& out) noexcept = 0;

  /// Popen.wait(timeout) without the reap: blocks until the sentinel is
  /// readable or `until` passes (never, when empty; a past deadline polls
  /// once), event driven and not ended early by signals. `ended` says
  /// which; poll() then gives the status. Only reads the fd, so any number
  /// of threads may wait at once and beside poll(), never beside close().
  /// Returns 0 or an errno value (ppoll's; EBADF with no sentinel). The
  /// default waits on sentinel().
  virtual int wait(std::optional<deadline> until, bool& ended) noexcept;

  /// Popen.send_signal(): through the pidfd, so never to a reused pid; a
  /// child that has ended (or a closed handle) is not an error.
  /// Returns 0 or an errno value.
  virtual int send_signal(int signo) noexcept = 0;

  /// Popen.close(): releases the fd. The exit code found stays readable.
  virtual void close() noexcept = 0;
};

}  // namespace multiproc::inline v0::detail
