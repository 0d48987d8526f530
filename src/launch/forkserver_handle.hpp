// The handle on a child of this process's forkserver: not our kernel
// child, so its exit status is the server's report, read from a socket
// the server made for this child alone.
#pragma once

#include <sys/types.h>

#include <optional>

#include "launch/child_handle.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail {

class forkserver_child final : public child_handle {
 public:
  /// `pidfd` was proven by the server; `report` reads its exit_report.
  forkserver_child(pid_t pid, unique_fd pidfd, unique_fd report) noexcept;

  pid_t pid() const noexcept override { return pid_; }
  int sentinel() const noexcept override { return pidfd_.get(); }
  /// Once the pidfd is readable, waits (briefly: the server reaps at once)
  /// for the report. End of file without one means the server died: the
  /// code the kernel recorded (Linux 6.15+), else kExitcodeUnknown. In
  /// any other process (a copy of this handle inherited through fork):
  /// whether the pidfd is readable, with no code, and the report is left
  /// for its owner.
  int poll(child_status& out) noexcept override;
  int send_signal(int signo) noexcept override;
  void close() noexcept override {
    pidfd_.reset();
    report_.reset();
  }

 private:
  const pid_t pid_;
  const pid_t owner_;  // the process that started it, which reads the report
  unique_fd pidfd_;
  unique_fd report_;
  std::optional<int> exitcode_;
  std::optional<usage> usage_;
};

}  // namespace multiproc::inline v0::detail
