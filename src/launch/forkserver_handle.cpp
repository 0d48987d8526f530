#include "launch/forkserver_handle.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <span>
#include <vector>

#include "launch/forkserver_client.hpp"
#include "launch/forkserver_protocol.hpp"
#include "limits/usage_from.hpp"
#include "posix/fd_passing.hpp"
#include "posix/pidfd.hpp"
#include "posix/this_pid.hpp"

namespace multiproc::inline v0::detail {
namespace {

// The report follows the child's end by one reap and one send in the
// server; this bound is only ever reached by a stopped server.
constexpr auto kReportWait = std::chrono::seconds(30);

}  // namespace

forkserver_child::forkserver_child(pid_t pid, unique_fd pidfd,
                                   unique_fd report) noexcept
    : pid_(pid),
      owner_(this_pid()),
      pidfd_(std::move(pidfd)),
      report_(std::move(report)) {}

int forkserver_child::poll(child_status& out) noexcept {
  if (exitcode_) {
    out = {true, exitcode_, usage_};
    return 0;
  }
  if (owner_ != this_pid()) {
    out = {pidfd_ && pidfd::has_ended(pidfd_.get()), std::nullopt,
           std::nullopt};
    return 0;
  }
  if (!pidfd_ || !pidfd::has_ended(pidfd_.get())) {
    out = {false, std::nullopt, std::nullopt};
    return 0;
  }
  pollfd watched{report_.get(), POLLIN, 0};
  int ready = 0;
  const auto until = std::chrono::steady_clock::now() + kReportWait;
  if (int err = pidfd::wait_readable(std::span(&watched, 1), until, ready)) {
    return err;
  }
  if (ready == 0) {
    // A server that neither reports nor dies: say "running" rather than
    // invent a code; the next look waits again.
    out = {false, std::nullopt, std::nullopt};
    return 0;
  }
  forkserver::exit_report report;
  std::vector<unique_fd> no_fds;
  std::size_t got = 0;
  const int err = fd_passing::receive(
      report_.get(), std::as_writable_bytes(std::span(&report, 1)), got,
      no_fds);
  if (err == 0 && got == sizeof report) {
    exitcode_ = report.exitcode;
    usage_ = usage_from(report.used);
  } else {
    // The server died before it could report (someone killed it): the
    // child was reaped by whoever inherited it.
    exitcode_ =
        pidfd::recorded_exit_code(pidfd_.get()).value_or(kExitcodeUnknown);
    reap_forkserver_if_ended();
  }
  report_.reset();
  out = {true, exitcode_, usage_};
  return 0;
}

int forkserver_child::send_signal(int signo) noexcept {
  // Through the pidfd, so never to a reused pid; an ended child is not an
  // error.
  if (!pidfd_ || exitcode_) return 0;
  return pidfd::send_signal(pidfd_.get(), signo);
}

}  // namespace multiproc::inline v0::detail
