// Parents, children and grandchildren: parent_process(), recursion, and
// kill_on_parent_death. Spec §7 cases 4, 5, 14, 55 and pain point P12.
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>

#include "support/child_io.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

// spec §7 case 4
TEST(ProcessTree, ParentProcessIsEmptyInMainAndTheCreatorInAChild) {
  EXPECT_FALSE(mp::parent_process().has_value());
  auto report = mpt::run_in_child([] {
    auto parent = mp::parent_process();
    if (!parent) return std::string("none");
    return parent->name() + " " + std::to_string(parent->pid().value_or(-1)) +
           " " + (parent->exitcode() ? "code" : "no-code") + " " +
           (parent->is_alive() ? "alive" : "dead") + " " +
           (parent->join(0s) ? "joined" : "timeout");
  });
  EXPECT_EQ(report.text, "MainProcess " + std::to_string(::getpid()) +
                             " no-code alive timeout");
}

// A child has no children of its own and active_children() is empty there.
TEST(ProcessTree, ChildStartsWithNoChildren) {
  mp::process sibling([] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{sibling};
  sibling.start();
  auto report = mpt::run_in_child(
      [] { return std::to_string(mp::active_children().size()); });
  EXPECT_EQ(report.text, "0");
  sibling.kill();
  sibling.join();
}

// spec §7 case 5: a grandchild sees its parent alive; main terminates the
// parent; the grandchild's join(timeout) on its parent then returns and the
// parent is no longer alive.
TEST(ProcessTree, GrandchildSeesItsParentAliveThenEnded) {
  mpt::pipe_pair report;
  mp::process middle([&] {
    mp::process grandchild([&] {
      auto parent = mp::parent_process();
      mpt::write_all(report.write_end(),
                     parent->is_alive() ? "alive\n" : "not alive\n");
      bool joined = parent->join(60s);
      mpt::write_all(report.write_end(),
                     std::string(joined ? "joined " : "timeout ") +
                         (parent->is_alive() ? "alive\n" : "not alive\n"));
    });
    grandchild.start();
    std::this_thread::sleep_for(100s);
  });
  mpt::kill_on_exit guard{middle};
  middle.start();
  report.close_write();
  EXPECT_EQ(mpt::read_line(report.read_end()), "alive");
  middle.terminate();
  middle.join();
  EXPECT_EQ(middle.exitcode(), -SIGTERM);
  EXPECT_EQ(mpt::read_line(report.read_end()), "joined not alive");
}

// spec §7 case 55 and P12: the parent is SIGKILLed; the grandchild sees it
// ended at once, even though a later sibling of the grandchild (which in
// CPython inherits the parent's pipe end) is still running.
TEST(ProcessTree, ParentKilledIsSeenAsEndedDespiteLaterSiblings) {
  mpt::pipe_pair report, release;
  mp::process middle([&] {
    release.close_write();
    mp::process reporter([&] {
      auto parent = mp::parent_process();
      mpt::write_all(report.write_end(), "ready\n");
      bool joined = parent->join(60s);
      mpt::stopwatch clock;
      bool again = parent->join(5s);
      bool fast = clock.elapsed() < 2500ms;
      mpt::write_all(report.write_end(),
                     std::string(joined && again ? "joined" : "timeout") +
                         (fast ? " at-once " : " slow ") +
                         (parent->is_alive() ? "alive\n" : "not-alive\n"));
    });
    mp::process later_sibling(
        [&] { mpt::block_until_released(release.read_end()); });
    reporter.start();
    later_sibling.start();
    std::this_thread::sleep_for(100s);
  });
  mpt::kill_on_exit guard{middle};
  middle.start();
  report.close_write();
  release.close_read();
  ASSERT_EQ(mpt::read_line(report.read_end()), "ready");
  middle.kill();
  middle.join();
  EXPECT_EQ(middle.exitcode(), -SIGKILL);
  EXPECT_EQ(mpt::read_line(report.read_end()), "joined at-once not-alive");
  release.close_write();  // lets the orphaned sibling end
}

// spec §7 case 14: each node reports its path, then starts and joins two
// children, to depth 2; the order is exact.
void node(int fd, const std::string& path, int depth) {
  mpt::write_all(fd, "[" + path + "]\n");
  if (depth == 2) return;
  for (int i = 0; i < 2; ++i) {
    std::string child_path =
        path.empty() ? std::to_string(i) : path + "," + std::to_string(i);
    mp::process child(node, fd, child_path, depth + 1);
    child.start();
    child.join();
    if (child.exitcode() != 0) mpt::write_all(fd, "failed\n");
  }
}

TEST(ProcessTree, RecursiveChildrenReportInOrder) {
  mpt::pipe_pair report;
  node(report.write_end(), "", 0);
  report.close_write();
  EXPECT_EQ(mpt::read_all(report.read_end()),
            "[]\n[0]\n[0,0]\n[0,1]\n[1]\n[1,0]\n[1,1]\n");
}

// kill_on_parent_death: `middle` starts a grandchild that must die when
// `middle` dies. When `from_thread`, the grandchild is started from a
// short-lived thread of `middle`, and must survive that thread's end.
void expect_grandchild_dies_with_parent(bool from_thread) {
  mpt::pipe_pair report;
  mp::process middle([&] {
    mp::process grandchild(mpt::killed_with_parent(),
                           [] { std::this_thread::sleep_for(100s); });
    if (from_thread) {
      std::thread([&] { grandchild.start(); }).join();
      // PR_SET_PDEATHSIG would fire at the thread's exit, which may complete
      // just after join() returns: give it time to do harm.
      std::this_thread::sleep_for(300ms);
    } else {
      grandchild.start();
    }
    mpt::write_all(report.write_end(),
                   std::to_string(*grandchild.pid()) +
                       (grandchild.is_alive() ? " alive\n" : " dead\n"));
    std::this_thread::sleep_for(100s);
  });
  mpt::kill_on_exit guard{middle};
  middle.start();
  report.close_write();
  auto line = mpt::read_line(report.read_end());
  ASSERT_TRUE(line.has_value());
  pid_t grandchild = std::stoi(*line);
  EXPECT_EQ(line->substr(line->find(' ') + 1), "alive");
  // `middle` has not reaped the grandchild, so the pid is still its.
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, grandchild, 0));
  ASSERT_GE(fd, 0);
  pollfd watch{fd, POLLIN, 0};
  EXPECT_EQ(::poll(&watch, 1, 0), 0) << "grandchild died before its parent";
  middle.kill();
  middle.join();
  EXPECT_EQ(::poll(&watch, 1, 60'000), 1) << "grandchild outlived its parent";
  ::close(fd);
}

TEST(ProcessTree, KillOnParentDeathKillsTheChildWhenItsParentDies) {
  expect_grandchild_dies_with_parent(false);
}

TEST(ProcessTree, KillOnParentDeathFollowsTheProcessNotTheStartingThread) {
  expect_grandchild_dies_with_parent(true);
}

// In the main process too: a child started with kill_on_parent_death from
// a thread that ends keeps running.
TEST(ProcessTree, KillOnParentDeathChildOutlivesItsStartingThreadInMain) {
  mp::process child(mpt::killed_with_parent(),
                    [] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{child};
  std::thread([&] { child.start(); }).join();
  EXPECT_FALSE(child.join(300ms));
  EXPECT_TRUE(child.is_alive());
  child.kill();
  child.join();
  EXPECT_EQ(child.exitcode(), -SIGKILL);
}

}  // namespace
