#include "launch/kernel_child.hpp"

#include <signal.h>

#include <cerrno>

#include "limits/usage_from.hpp"
#include "posix/io.hpp"
#include "posix/pidfd.hpp"
#include "posix/sys.hpp"
#include "posix/this_pid.hpp"

namespace multiproc::inline v0::detail {

std::unique_ptr<child_handle> kernel_child::watch(pid_t pid, unique_fd pidfd) {
  auto handle = std::make_unique<kernel_child>(0);
  handle->adopt(pid, std::move(pidfd));
  return handle;
}

int kernel_child::poll(child_status& out) noexcept {
  if (exitcode_) {
    out = {true, exitcode_, usage_};
    return 0;
  }
  if (reaper_ != this_pid()) {
    // Another process's child, or our parent: it can be watched, never
    // reaped, and its code is not ours.
    out = {pidfd_ && pidfd::has_ended(pidfd_.get()), std::nullopt,
           std::nullopt};
    return 0;
  }
  if (!pidfd_) {
    // Reaped by someone else before we could open it (or closed before it
    // was reaped, which process_state never does).
    exitcode_ = kExitcodeUnknown;
    out = {true, exitcode_, std::nullopt};
    return 0;
  }
  pidfd::child_state state{};
  std::optional<int> code;
  rusage used{};
  if (int err = pidfd::try_reap(pidfd_.get(), state, code, &used)) return err;
  if (state == pidfd::child_state::running) {
    out = {false, std::nullopt, std::nullopt};
    return 0;
  }
  exitcode_ = code ? *code : kExitcodeUnknown;
  if (state == pidfd::child_state::reaped) usage_ = usage_from(used);
  out = {true, exitcode_, usage_};
  return 0;
}

int kernel_child::send_signal(int signo) noexcept {
  // Signalling through the pidfd cannot reach a reused pid, and a process
  // that ended but is not yet reaped simply ignores it.
  if (!pidfd_ || exitcode_) return 0;
  return pidfd::send_signal(pidfd_.get(), signo);
}

int hold_new_child(pid_t pid, std::unique_ptr<kernel_child> handle,
                   std::unique_ptr<child_handle>& out) noexcept {
  unique_fd pidfd;
  const int err = pidfd::open_child(pid, pidfd);
  if (err == 0 || err == ESRCH || err == ECHILD) {
    // ESRCH/ECHILD: a foreign reaper already took the child. It did start;
    // the handle reports it as ended with its status unknown.
    handle->adopt(pid, std::move(pidfd));
    out = std::move(handle);
    return 0;
  }
  // We made a child we cannot hold (out of fds, say). It is still our
  // unreaped child, so its pid cannot have been reused: kill and reap it by
  // pid, and report the error with nothing left behind.
  sys::kill(pid, SIGKILL);
  io::reap_by_pid(pid);
  return err;
}

}  // namespace multiproc::inline v0::detail
