// The launch seam's child handle (src/launch/child_handle.hpp) on a fork
// child, driven through the fork launcher alone, below `process`: poll,
// wait, send_signal and close; a foreign reaper; a process watched but not
// ours; fds passed into the child at the numbers asked for.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "launch/kernel_child.hpp"
#include "launch/launcher.hpp"
#include "posix/pidfd.hpp"
#include "support/timing.hpp"

namespace mpd = multiproc::detail;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

// Child entry points: the context is an int, the child's exit code.
void exit_with(void* context) noexcept { ::_exit(*static_cast<int*>(context)); }
void wait_for_signals(void*) noexcept {
  for (;;) ::pause();
}

std::unique_ptr<mpd::child_handle> launch(
    void (*entry)(void*) noexcept, void* context,
    std::span<const mpd::passed_fd> fds = {}) {
  mpd::launch_request request;
  request.child_main = entry;
  request.context = context;
  request.fds = fds;
  std::unique_ptr<mpd::child_handle> child;
  int err = mpd::default_launcher().launch(request, child);
  EXPECT_EQ(err, 0);
  return child;
}

mpd::child_status poll_of(mpd::child_handle& child) {
  mpd::child_status status;
  EXPECT_EQ(child.poll(status), 0);
  return status;
}

bool wait_for(mpd::child_handle& child,
              std::optional<std::chrono::milliseconds> limit) {
  std::optional<mpd::child_handle::deadline> until;
  if (limit) until = std::chrono::steady_clock::now() + *limit;
  bool ended = false;
  EXPECT_EQ(child.wait(until, ended), 0);
  return ended;
}

TEST(LaunchHandle, PollWaitAndSignalARunningChild) {
  auto child = launch(&wait_for_signals, nullptr);
  ASSERT_NE(child, nullptr);
  EXPECT_GT(child->pid(), 0);
  EXPECT_GE(child->sentinel(), 0);
  EXPECT_FALSE(poll_of(*child).ended);
  EXPECT_FALSE(poll_of(*child).exitcode);

  mpt::stopwatch watch;
  EXPECT_FALSE(wait_for(*child, 50ms));
  EXPECT_GE(watch.elapsed(), 45ms);
  EXPECT_FALSE(poll_of(*child).ended);  // a timed-out wait reaps nothing

  EXPECT_EQ(child->send_signal(SIGTERM), 0);
  EXPECT_TRUE(wait_for(*child, std::nullopt));
  mpd::child_status status = poll_of(*child);
  EXPECT_TRUE(status.ended);
  EXPECT_EQ(status.exitcode, -SIGTERM);
  // Kept: the second look does not ask the kernel about a reaped pid.
  EXPECT_EQ(poll_of(*child).exitcode, -SIGTERM);
  // An ended child is not an error to signal, and nothing reaches the pid.
  EXPECT_EQ(child->send_signal(SIGKILL), 0);
}

TEST(LaunchHandle, PollReportsTheExitCodeOnceTheSentinelIsReadable) {
  int code = 7;
  auto child = launch(&exit_with, &code);
  ASSERT_NE(child, nullptr);
  // Readiness does not reap: the child stays a zombie until poll().
  EXPECT_TRUE(wait_for(*child, mpt::late_bound(0ms)));
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(child->pid()), &info,
                     WEXITED | WNOHANG | WNOWAIT),
            0);
  EXPECT_EQ(info.si_pid, child->pid());
  EXPECT_EQ(poll_of(*child).exitcode, 7);
  EXPECT_EQ(::waitid(P_PID, static_cast<id_t>(child->pid()), &info,
                     WEXITED | WNOHANG),
            -1);  // reaped by poll()
}

TEST(LaunchHandle, CloseReleasesTheSentinelAndKeepsTheCode) {
  int code = 3;
  auto child = launch(&exit_with, &code);
  ASSERT_NE(child, nullptr);
  ASSERT_TRUE(wait_for(*child, std::nullopt));
  ASSERT_EQ(poll_of(*child).exitcode, 3);
  const int fd = child->sentinel();
  child->close();
  EXPECT_EQ(child->sentinel(), -1);
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);  // the pidfd is closed
  EXPECT_EQ(poll_of(*child).exitcode, 3);
  EXPECT_EQ(child->send_signal(SIGTERM), 0);
  bool ended = true;
  EXPECT_EQ(child->wait(std::nullopt, ended), EBADF);  // never blocks
}

TEST(LaunchHandle, AForeignReaperLeavesAnEndedChildWithTheKernelsCode) {
  int code = 5;
  auto child = launch(&exit_with, &code);
  ASSERT_NE(child, nullptr);
  int status = 0;
  ASSERT_EQ(::waitpid(child->pid(), &status, 0), child->pid());  // foreign
  mpd::child_status found = poll_of(*child);
  EXPECT_TRUE(found.ended);
  // The real code where the kernel keeps it (Linux 6.15+), else 255.
  ASSERT_TRUE(found.exitcode);
  EXPECT_TRUE(*found.exitcode == 5 || *found.exitcode == mpd::kExitcodeUnknown)
      << *found.exitcode;
}

TEST(LaunchHandle, AWatchedProcessEndsWithoutACodeAndIsNotReaped) {
  auto child = launch(&wait_for_signals, nullptr);
  ASSERT_NE(child, nullptr);
  multiproc::detail::unique_fd fd;
  ASSERT_EQ(mpd::pidfd::open_any(child->pid(), fd), 0);
  auto watched = mpd::kernel_child::watch(child->pid(), std::move(fd));
  EXPECT_FALSE(poll_of(*watched).ended);
  ASSERT_EQ(child->send_signal(SIGKILL), 0);
  EXPECT_TRUE(wait_for(*watched, std::nullopt));
  mpd::child_status status = poll_of(*watched);
  EXPECT_TRUE(status.ended);
  EXPECT_FALSE(status.exitcode);  // not ours to know
  // The watch reaped nothing: the launcher's handle still gets the code.
  EXPECT_EQ(poll_of(*child).exitcode, -SIGKILL);
}

TEST(LaunchHandle, ACopyInAnotherProcessOnlyWatches) {
  auto child = launch(&wait_for_signals, nullptr);
  ASSERT_NE(child, nullptr);
  // A raw fork inherits the handle; there it may look but never reap.
  const pid_t copy = ::fork();
  ASSERT_GE(copy, 0);
  if (copy == 0) {
    mpd::child_status status;
    int ok = child->poll(status) == 0 && !status.ended;
    ok = ok && child->send_signal(SIGKILL) == 0;
    bool ended = false;
    ok = ok && child->wait(std::nullopt, ended) == 0 && ended;
    ok = ok && child->poll(status) == 0 && status.ended && !status.exitcode;
    ::_exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(copy, &status, 0), copy);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_EQ(poll_of(*child).exitcode, -SIGKILL);  // still ours to reap
}

// The child checks what it was given and says so in its exit code: each
// passed fd at its number, without FD_CLOEXEC; a write through each lands
// in the pipe it came from; an fd not passed keeps its FD_CLOEXEC.
struct fd_check {
  int first_at;      // pipe 1's write end is passed here
  int second_at;     // pipe 2's write end is passed here
  int kept_cloexec;  // not passed
};

void check_fds(void* context) noexcept {
  const auto& check = *static_cast<fd_check*>(context);
  int code = 0;
  if (::fcntl(check.first_at, F_GETFD) != 0) code |= 1;
  if (::fcntl(check.second_at, F_GETFD) != 0) code |= 2;
  if (::write(check.first_at, "1", 1) != 1) code |= 4;
  if (::write(check.second_at, "2", 1) != 1) code |= 8;
  if (::fcntl(check.kept_cloexec, F_GETFD) != FD_CLOEXEC) code |= 16;
  ::_exit(code);
}

char read_one(int fd) {
  char c = 0;
  return ::read(fd, &c, 1) == 1 ? c : '?';
}

TEST(LaunchHandle, PassedFdsLandAtTheirNumbersEvenWhenTheyCross) {
  int one[2];
  int two[2];
  ASSERT_EQ(::pipe2(one, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(two, O_CLOEXEC), 0);
  // Crossed: each write end goes to the number the other has now, so a
  // naive dup2 in order would overwrite the second source with the first.
  const std::vector<mpd::passed_fd> fds{{one[1], two[1]}, {two[1], one[1]}};
  fd_check check{two[1], one[1], one[0]};
  auto child = launch(&check_fds, &check, fds);
  ASSERT_NE(child, nullptr);
  ::close(one[1]);
  ::close(two[1]);
  ASSERT_TRUE(wait_for(*child, std::nullopt));
  EXPECT_EQ(poll_of(*child).exitcode, 0);
  EXPECT_EQ(read_one(one[0]), '1');  // written to two[1]'s number
  EXPECT_EQ(read_one(two[0]), '2');
  ::close(one[0]);
  ::close(two[0]);
}

TEST(LaunchHandle, AnFdPassedAtItsOwnNumberLosesCloseOnExec) {
  int ends[2];
  ASSERT_EQ(::pipe2(ends, O_CLOEXEC), 0);
  const std::vector<mpd::passed_fd> fds{{ends[1], ends[1]}};
  fd_check check{ends[1], ends[1], ends[0]};
  auto child = launch(&check_fds, &check, fds);
  ASSERT_NE(child, nullptr);
  ::close(ends[1]);
  ASSERT_TRUE(wait_for(*child, std::nullopt));
  EXPECT_EQ(poll_of(*child).exitcode, 0);
  EXPECT_EQ(read_one(ends[0]), '1');
  ::close(ends[0]);
}

TEST(LaunchHandle, ABadFdListIsRefusedBeforeAnyChildExists) {
  mpd::launch_request request;
  int code = 0;
  request.child_main = &exit_with;
  request.context = &code;
  const std::vector<mpd::passed_fd> negative{{-1, 5}};
  request.fds = negative;
  std::unique_ptr<mpd::child_handle> child;
  EXPECT_EQ(mpd::default_launcher().launch(request, child), EBADF);
  EXPECT_EQ(child, nullptr);
  const std::vector<mpd::passed_fd> too_many(mpd::kMaxPassedFds + 1,
                                             mpd::passed_fd{0, 10});
  request.fds = too_many;
  EXPECT_EQ(mpd::default_launcher().launch(request, child), EINVAL);
  EXPECT_EQ(child, nullptr);
}

}  // namespace
