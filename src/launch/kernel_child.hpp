// The handle on a child whose exit status the kernel gives to this process:
// our own fork child (and, in Part 5, a spawn child), reaped with
// waitid(P_PIDFD). Also, watch-only, a process we did not start (our
// parent), whose end is seen through its pidfd but whose code is not ours.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>

#include "launch/child_handle.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail {

class kernel_child final : public child_handle {
 public:
  /// The handle for a child that `reaper` (the launching process) is about
  /// to make: made before the fork, so that running out of memory leaves
  /// no child behind. adopt() completes it.
  explicit kernel_child(pid_t reaper) noexcept : reaper_(reaper) {}

  /// Once, by the launcher: the child, not yet reaped by us. `pidfd` must
  /// be proven (pidfd::open_child); empty when a foreign reaper took the
  /// child before it could be opened: it has run and ended, status unknown.
  void adopt(pid_t pid, unique_fd pidfd) noexcept {
    pid_ = pid;
    pidfd_ = std::move(pidfd);
  }

  /// A process this one may only watch: poll() says whether it has ended,
  /// never its code.
  static std::unique_ptr<child_handle> watch(pid_t pid, unique_fd pidfd);

  pid_t pid() const noexcept override { return pid_; }
  int sentinel() const noexcept override { return pidfd_.get(); }
  /// In the reaper: waitid(P_PIDFD, WNOHANG). A child someone else reaped
  /// (a foreign waitpid(-1), SIGCHLD set to SIG_IGN) has the code the
  /// kernel recorded (Linux 6.15+), else kExitcodeUnknown. In any other
  /// process (a copy of this handle inherited through fork): whether the
  /// pidfd is readable, with no code.
  int poll(child_status& out) noexcept override;
  int send_signal(int signo) noexcept override;
  void close() noexcept override { pidfd_.reset(); }

 private:
  pid_t pid_ = 0;
  unique_fd pidfd_;
  /// The only process that may reap it: the one that forked it; 0 for a
  /// watched process.
  const pid_t reaper_;
  std::optional<int> exitcode_;  // once reaped
  std::optional<usage> usage_;   // once reaped by us
};

/// Takes a child this process just made (fork or posix_spawn) into
/// `handle` and hands it to `out`; 0, or the pidfd error, with the child
/// killed and reaped so that nothing is left behind.
int hold_new_child(pid_t pid, std::unique_ptr<kernel_child> handle,
                   std::unique_ptr<child_handle>& out) noexcept;

}  // namespace multiproc::inline v0::detail
