// The per-process registry: active_children() and the joins at exit.
// Spec §7 cases 13, 51, 52; API.md "Program exit".
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <multiproc/multiproc.hpp>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/leak_guard.hpp"
#include "support/run_helper.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

std::chrono::milliseconds slack_bound(std::chrono::milliseconds expected) {
  return mpt::late_bound(expected) +
         std::chrono::milliseconds(static_cast<long>(5000 * mpt::slowdown()));
}

// spec §7 case 13: absent before start, present while running, absent
// after join.
TEST(ProcessRegistry, ActiveChildrenListsOnlyRunningChildren) {
  mp::process p([] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{p};
  EXPECT_FALSE(mpt::contains(mp::active_children(), p));
  p.start();
  EXPECT_TRUE(mpt::contains(mp::active_children(), p));
  p.terminate();
  p.join();
  EXPECT_FALSE(mpt::contains(mp::active_children(), p));
}

// spec §7 case 51: a child that ended unjoined is reaped by
// active_children(), its code cached, and it is not listed.
TEST(ProcessRegistry, ActiveChildrenReapsEndedChildren) {
  mp::process p([] { mp::exit(12); });
  p.start();
  std::vector<mp::process> one{p};
  ASSERT_EQ(mp::wait(one, 60s).size(), 1U);
  EXPECT_EQ(mpt::find_zombie_child(), *p.pid());
  EXPECT_FALSE(mpt::contains(mp::active_children(), p));
  EXPECT_EQ(mpt::find_zombie_child(), 0);
  EXPECT_EQ(p.exitcode(), 12);
  p.join();
}

// A running child whose handles are all gone is still listed (and so is
// joined at exit): destroying the last handle neither kills nor forgets it.
TEST(ProcessRegistry, ChildWithoutHandlesStaysListedAndJoinable) {
  mpt::pipe_pair release;
  pid_t pid = 0;
  {
    mp::process p([&] {
      release.close_write();
      mpt::block_until_released(release.read_end());
    });
    p.start();
    pid = *p.pid();
  }
  release.close_read();
  auto children = mp::active_children();
  ASSERT_EQ(children.size(), 1U);
  EXPECT_EQ(children[0].pid(), pid);
  EXPECT_TRUE(children[0].is_alive());
  release.close_write();
  children[0].join();
  EXPECT_EQ(children[0].exitcode(), 0);
  EXPECT_TRUE(mp::active_children().empty());
}

// spec §7 case 52: main returns with a 1 s non-daemon child and a 30 s
// daemon child: the program waits about 1 s; the daemon gets SIGTERM; codes
// [0, -SIGTERM]; the user's earlier atexit handler runs after the joins.
TEST(ProcessRegistry, ProgramExitTerminatesDaemonsAndJoinsTheRest) {
  mpt::helper_result result = mpt::run_helper("exit_mixed");
  ASSERT_TRUE(WIFEXITED(result.status)) << result.output;
  EXPECT_EQ(WEXITSTATUS(result.status), 0);
  EXPECT_EQ(result.output,
            "main returns\nnon-daemon child done\nexitcodes 0 -15\n");
  EXPECT_GE(result.elapsed, 1s);
  EXPECT_LT(result.elapsed, slack_bound(1000ms));
}

// API.md: destroying the last handle of a running child does not stop it;
// the program still waits for it at exit.
TEST(ProcessRegistry, ProgramExitJoinsChildrenWhoseHandlesAreGone) {
  mpt::helper_result result = mpt::run_helper("dropped_handle");
  ASSERT_TRUE(WIFEXITED(result.status)) << result.output;
  EXPECT_EQ(WEXITSTATUS(result.status), 0);
  EXPECT_EQ(result.output, "main returns\nchild done\n");
  EXPECT_GE(result.elapsed, 500ms);
}

// API.md: multiproc::exit in the main process is std::exit, so the joins at
// exit run and the code is the program's status.
TEST(ProcessRegistry, MultiprocExitInMainRunsTheExitTimeJoins) {
  mpt::helper_result result = mpt::run_helper("mp_exit");
  ASSERT_TRUE(WIFEXITED(result.status)) << result.output;
  EXPECT_EQ(WEXITSTATUS(result.status), 3);
  EXPECT_EQ(result.output, "main exits\nchild done\n");
  EXPECT_GE(result.elapsed, 500ms);
}

// A raw fork() child (not a multiproc child: say a fork+exec whose exec
// failed) that calls std::exit must not run the exit-time steps against the
// copy of our registry it inherited: it must neither SIGTERM our daemon
// children nor wait for our children.
TEST(ProcessRegistry, RawForkChildCallingStdExitLeavesOurChildrenAlone) {
  mpt::pipe_pair release;
  mp::process daemon(mpt::daemonic(true), [&] {
    release.close_write();
    mpt::block_until_released(release.read_end());
  });
  mpt::kill_on_exit guard{daemon};
  daemon.start();
  release.close_read();

  pid_t raw = ::fork();
  if (raw == 0) std::exit(127);  // as after a failed exec
  ASSERT_GT(raw, 0);
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, raw, 0));
  ASSERT_GE(fd, 0);
  pollfd watch{fd, POLLIN, 0};
  int ready = ::poll(&watch, 1, static_cast<int>(slack_bound(0ms).count()));
  ::close(fd);
  if (ready != 1) ::kill(raw, SIGKILL);
  int status = 0;
  ::waitpid(raw, &status, 0);
  EXPECT_EQ(ready, 1) << "the raw child waited for our children";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 127);
  EXPECT_TRUE(daemon.is_alive()) << "the raw child terminated our daemon";

  release.close_write();
  daemon.join();
  EXPECT_EQ(daemon.exitcode(), 0);
}

}  // namespace
