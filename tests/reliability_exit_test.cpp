// Fault matrix (docs/RELIABILITY.md), the end of a program:
// - exit-time hangs: with multiproc::set_exit_policy() a program whose
//   children never end, or ignore SIGTERM (daemon or not), still exits
//   within join_timeout + terminate_grace, the children reaped with -15 or
//   -9; the same bound applies at the end of each child (inherited); and
//   without a policy the exit still waits as Python's does;
// - the parent killed by SIGKILL: its kill_on_parent_death child dies, its
//   other children (daemon or not) are orphaned and run on, as in Python,
//   and a child's parent_process().join() returns promptly.
// Both happen to a helper program (tests/helpers/reliability_helper.cpp),
// never to the test process itself.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "support/child_io.hpp"
#include "support/run_helper.hpp"
#include "support/timing.hpp"

namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

int open_pidfd(pid_t pid) {
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}
bool ended_within(int pidfd, std::chrono::milliseconds limit) {
  pollfd p{pidfd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(limit.count())) == 1;
}

TEST(ReliabilityExit, PolicyBoundsProgramExitAndEscalatesToSigkill) {
  mpt::helper_result r = mpt::run_helper("exit_policy");
  ASSERT_TRUE(WIFEXITED(r.status)) << r.output;
  EXPECT_EQ(WEXITSTATUS(r.status), 0);
  // quick child 0; stubborn -15 after the timeout; both SIGTERM-ignorers
  // (daemon and not) -9 after the grace.
  EXPECT_EQ(r.output, "main returns\nexitcodes 0 -15 -9 -9\n");
  EXPECT_GE(r.elapsed, 1500ms);  // timeout 1 s + grace 500 ms: not early
  EXPECT_LE(r.elapsed, mpt::late_bound(1500ms));
}

TEST(ReliabilityExit, PolicyAppliesAtTheEndOfEachChild) {
  mpt::helper_result r = mpt::run_helper("exit_policy_child");
  ASSERT_TRUE(WIFEXITED(r.status)) << r.output;
  EXPECT_EQ(WEXITSTATUS(r.status), 0);
  std::istringstream lines(r.output);
  std::string word;
  pid_t grandchild = 0;
  int code = -1;
  long ms = -1;
  lines >> word >> grandchild;
  ASSERT_EQ(word, "grandchild") << r.output;
  lines >> word >> code >> ms;
  ASSERT_EQ(word, "child") << r.output;
  EXPECT_EQ(code, 0);
  // The child's own exit: 500 ms of joining, then 300 ms of grace before
  // the SIGTERM-ignoring grandchild is killed.
  EXPECT_GE(ms, 800);
  EXPECT_LE(ms, mpt::late_bound(800ms).count());
  // The grandchild was reaped by the child: its pid is gone.
  EXPECT_EQ(::kill(grandchild, 0), -1);
}

TEST(ReliabilityExit, DefaultPolicyWaitsForADaemonIgnoringSigtermAsPython) {
  mpt::helper_result r = mpt::run_helper("default_policy_daemon_ignores");
  ASSERT_TRUE(WIFEXITED(r.status)) << r.output;
  EXPECT_EQ(r.output, "main returns\nexitcodes 0\n");
  EXPECT_GE(r.elapsed, 1s);
}

// Starts the helper program in `mode` with its stdout on `out`, which it
// leaves readable only. Returns the helper's pid, or -1.
pid_t spawn_helper(std::string mode, mpt::pipe_pair& out) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out.write_end(), STDOUT_FILENO);
  std::string path = MULTIPROC_TEST_HELPER;
  char* argv[] = {path.data(), mode.data(), nullptr};
  pid_t helper = 0;
  int err =
      posix_spawn(&helper, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  out.close_write();
  return err == 0 ? helper : -1;
}

TEST(ReliabilityExit, PoolWorkersDieWithTheirParentIncludingReplacements) {
  mpt::pipe_pair out;
  pid_t helper = spawn_helper("pool_workers", out);
  ASSERT_GT(helper, 0);

  auto pids = mpt::read_line(out.read_end());
  ASSERT_TRUE(pids.has_value());
  ASSERT_EQ(mpt::read_line(out.read_end()), "ready");
  std::istringstream fields(*pids);
  std::string word;
  fields >> word;
  ASSERT_EQ(word, "pids");
  std::vector<int> worker_fds;
  for (pid_t pid = 0; fields >> pid;) worker_fds.push_back(open_pidfd(pid));
  ASSERT_EQ(worker_fds.size(), 2U);  // both alive: the thread that built
                                     // the pool has ended long ago
  for (int fd : worker_fds) ASSERT_GE(fd, 0);

  ::kill(helper, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(helper, &status, 0), helper);
  for (int fd : worker_fds) {
    EXPECT_TRUE(ended_within(fd, mpt::late_bound(0ms)));
    ::close(fd);
  }
}

TEST(ReliabilityExit, ParentKilledBySigkill) {
  mpt::pipe_pair out;
  pid_t helper = spawn_helper("orphans", out);
  ASSERT_GT(helper, 0);

  auto pids = mpt::read_line(out.read_end());
  ASSERT_TRUE(pids.has_value());
  std::istringstream fields(*pids);
  std::string word;
  pid_t guarded = 0, plain = 0, daemon = 0;
  fields >> word >> guarded >> plain >> daemon;
  ASSERT_EQ(word, "pids");
  ASSERT_EQ(mpt::read_line(out.read_end()), "ready");
  // The helper has not reaped them, so these pids are still its children.
  int guarded_fd = open_pidfd(guarded);
  int plain_fd = open_pidfd(plain);
  int daemon_fd = open_pidfd(daemon);
  ASSERT_GE(guarded_fd, 0);
  ASSERT_GE(plain_fd, 0);
  ASSERT_GE(daemon_fd, 0);

  ::kill(helper, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(helper, &status, 0), helper);
  mpt::stopwatch since_death;
  // The plain child's parent_process().join() returns promptly.
  EXPECT_EQ(mpt::read_line(out.read_end(), mpt::late_bound(0ms)),
            "parent joined");
  // kill_on_parent_death: dies with its parent.
  EXPECT_TRUE(ended_within(guarded_fd, mpt::late_bound(0ms)));
  // The others are orphaned and run on, as in Python.
  EXPECT_FALSE(ended_within(plain_fd, 0ms));
  EXPECT_FALSE(ended_within(daemon_fd, 0ms));
  EXPECT_LE(since_death.elapsed(), mpt::late_bound(0ms) * 2);

  // Clean up the orphans (through their pidfds: never a reused pid).
  for (int fd : {plain_fd, daemon_fd}) {
    ::syscall(SYS_pidfd_send_signal, fd, SIGKILL, nullptr, 0U);
    EXPECT_TRUE(ended_within(fd, 60s));
  }
  ::close(guarded_fd);
  ::close(plain_fd);
  ::close(daemon_fd);
}

}  // namespace
