// join(), join(timeout), join_until(): exact, event driven, safe with
// several joiners and with someone else reaping. Spec §7 cases 8 (the
// polling joins), 48, 56; API.md "join" and "Someone else reaped it".
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <multiproc/multiproc.hpp>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/leak_guard.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

// Upper bound for "returned about when it should": generous, so a loaded
// machine or a sanitizer build never makes it flaky.
std::chrono::milliseconds slack_bound(std::chrono::milliseconds expected) {
  return mpt::late_bound(expected) +
         std::chrono::milliseconds(static_cast<long>(3000 * mpt::slowdown()));
}

// A child that blocks until `release` reaches end of file, then exits with
// `code`.
mp::process blocker(mpt::pipe_pair& release, int code = 0) {
  return mp::process([&release, code] {
    release.close_write();
    mpt::block_until_released(release.read_end());
    mp::exit(code);
  });
}

// spec §7 case 48: join(0.3 s) on a sleeper returns false after about 0.3 s;
// the child is still alive and has no exit code.
TEST(ProcessJoin, TimeoutReturnsFalseWhileChildRuns) {
  mp::process p([] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{p};
  p.start();
  mpt::stopwatch clock;
  EXPECT_FALSE(p.join(300ms));
  auto took = clock.elapsed();
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, slack_bound(300ms));
  EXPECT_TRUE(p.is_alive());
  EXPECT_EQ(p.exitcode(), std::nullopt);
  p.kill();
  p.join();
}

// spec §7 case 8 (first half): join(0) and join(-1) poll once and return at
// once while the child is alive.
TEST(ProcessJoin, ZeroAndNegativeTimeoutsPollOnce) {
  mp::process p([] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{p};
  p.start();
  mpt::stopwatch clock;
  EXPECT_FALSE(p.join(0s));
  EXPECT_FALSE(p.join(-1s));
  EXPECT_FALSE(p.join(std::chrono::duration<double>(-0.5)));
  EXPECT_LT(clock.elapsed(), slack_bound(0ms));
  p.kill();
  p.join();
}

// A negative timeout of any size polls once: the conversion to a deadline
// must not overflow (UBSan catches that) for the most negative durations.
TEST(ProcessJoin, NegativeTimeoutOfAnyMagnitudePollsOnce) {
  mp::process p([] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{p};
  p.start();
  mpt::stopwatch clock;
  EXPECT_FALSE(p.join(std::chrono::seconds::min()));
  EXPECT_FALSE(p.join(std::chrono::hours::min()));
  EXPECT_FALSE(p.join(std::chrono::nanoseconds::min()));
  EXPECT_FALSE(p.join(
      std::chrono::duration<double>(-std::numeric_limits<double>::infinity())));
  std::vector<mp::process> one{p};
  EXPECT_TRUE(mp::wait(one, std::chrono::seconds::min()).empty());
  EXPECT_LT(clock.elapsed(), slack_bound(0ms));
  p.kill();
  p.join();
}

// A huge timeout means "no limit" and still returns when the child ends.
TEST(ProcessJoin, HugeTimeoutWaitsUntilTheChildEnds) {
  mpt::pipe_pair release;
  mp::process p = blocker(release, 4);
  mpt::kill_on_exit guard{p};
  p.start();
  release.close_read();
  std::thread releaser([&] {
    std::this_thread::sleep_for(100ms);
    release.close_write();
  });
  EXPECT_TRUE(p.join(std::chrono::hours::max()));
  releaser.join();
  EXPECT_TRUE(p.join(
      std::chrono::duration<double>(std::numeric_limits<double>::infinity())));
  EXPECT_EQ(p.exitcode(), 4);
}

// join(timeout) is event driven: it returns as soon as the child ends, not
// at the timeout nor at a polling tick.
TEST(ProcessJoin, TimedJoinReturnsWhenTheChildEnds) {
  mp::process p([] { std::this_thread::sleep_for(200ms); });
  mpt::stopwatch clock;
  p.start();
  EXPECT_TRUE(p.join(60s));
  EXPECT_GE(clock.elapsed(), 200ms);
  EXPECT_LT(clock.elapsed(), slack_bound(200ms));
  EXPECT_EQ(p.exitcode(), 0);
}

// join_until() on the steady and on the system clock.
TEST(ProcessJoin, JoinUntilHonoursDeadlinesOnAnyClock) {
  mp::process p([] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{p};
  p.start();
  mpt::stopwatch clock;
  EXPECT_FALSE(p.join_until(std::chrono::steady_clock::now() + 200ms));
  EXPECT_GE(clock.elapsed(), 200ms);
  mpt::stopwatch clock2;
  EXPECT_FALSE(p.join_until(std::chrono::system_clock::now() + 200ms));
  EXPECT_GE(clock2.elapsed(), 150ms);  // the system clock may step a little
  EXPECT_LT(clock2.elapsed(), slack_bound(200ms));
  EXPECT_FALSE(p.join_until(std::chrono::system_clock::now() - 1h));
  p.kill();
  EXPECT_TRUE(p.join_until(std::chrono::system_clock::now() + 60s));
  EXPECT_EQ(p.exitcode(), -SIGKILL);
}

// Issue 9, bug 5: deadlines at the ends of any clock's range. min() has
// passed: join_until() polls once and returns false at once (computing
// `deadline - now()` on the system clock overflowed, and the join waited
// for the child instead). The child would sleep 30 s; it is killed after.
TEST(ProcessJoin, JoinUntilTheEarliestTimePointReturnsAtOnce) {
  using hours_point =
      std::chrono::time_point<std::chrono::system_clock, std::chrono::hours>;
  using steady_hours =
      std::chrono::time_point<std::chrono::steady_clock, std::chrono::hours>;
  mp::process p([] { std::this_thread::sleep_for(30s); });
  mpt::kill_on_exit guard{p};
  p.start();
  mpt::stopwatch clock;
  EXPECT_FALSE(p.join_until(std::chrono::system_clock::time_point::min()));
  EXPECT_FALSE(p.join_until(hours_point::min()));
  EXPECT_FALSE(p.join_until(std::chrono::steady_clock::time_point::min()));
  EXPECT_FALSE(p.join_until(steady_hours::min()));
  EXPECT_LT(clock.elapsed(), std::chrono::milliseconds(
                                 static_cast<long>(2000 * mpt::slowdown())));
  EXPECT_TRUE(p.is_alive());
  p.kill();
  p.join();
}

// max() of any clock never comes: join_until() waits for the child (and
// neither returns early through an overflow nor throws).
TEST(ProcessJoin, JoinUntilTheLatestTimePointWaitsForTheChild) {
  using hours_point =
      std::chrono::time_point<std::chrono::system_clock, std::chrono::hours>;
  using steady_hours =
      std::chrono::time_point<std::chrono::steady_clock, std::chrono::hours>;
  mp::process p([] { std::this_thread::sleep_for(200ms); });
  mpt::stopwatch clock;
  p.start();
  EXPECT_TRUE(p.join_until(std::chrono::system_clock::time_point::max()));
  EXPECT_GE(clock.elapsed(), 200ms);
  EXPECT_LT(clock.elapsed(), slack_bound(200ms));
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_TRUE(p.join_until(hours_point::max()));
  EXPECT_TRUE(p.join_until(steady_hours::max()));
  EXPECT_TRUE(p.join(std::chrono::hours::max()));
  EXPECT_TRUE(p.join(std::chrono::nanoseconds::max()));
}

// API.md: join() on an ended child returns at once, any number of times.
TEST(ProcessJoin, JoiningAnEndedChildReturnsAtOnceRepeatedly) {
  mp::process p([] { mp::exit(3); });
  p.start();
  p.join();
  mpt::stopwatch clock;
  for (int i = 0; i < 5; ++i) {
    p.join();
    EXPECT_TRUE(p.join(0s));
    EXPECT_TRUE(p.join(10s));
  }
  EXPECT_LT(clock.elapsed(), slack_bound(0ms));
  EXPECT_EQ(p.exitcode(), 3);
}

// spec §7 case 56: several threads join the same child at once (plain and
// timed joins, is_alive and exitcode polls); every one sees the real code.
// CPython sometimes returns None here (gh-130895).
TEST(ProcessJoin, ConcurrentJoinersAllSeeTheRealExitcode) {
  for (int trial = 0; trial < 10; ++trial) {
    mpt::pipe_pair release;
    mp::process p = blocker(release, 42);
    mpt::kill_on_exit guard{p};
    p.start();
    release.close_read();
    std::atomic<int> correct{0};
    std::vector<std::thread> joiners;
    for (int i = 0; i < 3; ++i) {
      joiners.emplace_back([p, &correct]() mutable {
        p.join();
        if (p.exitcode() == 42 && !p.is_alive()) ++correct;
      });
    }
    joiners.emplace_back([p, &correct]() mutable {
      if (p.join(60s) && p.exitcode() == 42) ++correct;
    });
    joiners.emplace_back([p, &correct] {
      while (p.is_alive()) std::this_thread::sleep_for(1ms);
      if (p.exitcode() == 42) ++correct;
    });
    std::this_thread::sleep_for(20ms);
    release.close_write();
    for (auto& t : joiners) t.join();
    EXPECT_EQ(correct.load(), 5) << "trial " << trial;
  }
}

// API.md "Someone else reaped it": a foreign waitpid(-1) took the child's
// status. is_alive() is false, join returns, and exitcode() is the real code
// (Linux 6.15+ keeps it: PIDFD_INFO_EXIT).
TEST(ProcessJoin, ForeignWaitpidIsSeenAsEndedWithTheRealExitcode) {
  mp::process p([] { mp::exit(7); });
  p.start();
  std::vector<mp::process> one{p};
  ASSERT_EQ(mp::wait(one, 60s).size(), 1U);  // ended, not reaped
  int status = 0;
  pid_t reaped = ::waitpid(-1, &status, 0);
  ASSERT_EQ(reaped, *p.pid());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7);

  EXPECT_FALSE(p.is_alive());
  EXPECT_TRUE(p.join(0s));
  p.join();
  EXPECT_EQ(p.exitcode(), 7);
  EXPECT_FALSE(mpt::contains(mp::active_children(), p));
}

// The same while join() is blocked: a thread reaping with waitpid(-1) must
// not leave the joiner waiting forever, whichever of the two wins.
TEST(ProcessJoin, ForeignReaperDoesNotStrandABlockedJoin) {
  for (int trial = 0; trial < 5; ++trial) {
    mpt::pipe_pair release;
    mp::process p = blocker(release, 9);
    mpt::kill_on_exit guard{p};
    p.start();
    release.close_read();
    std::thread reaper([] {
      int status = 0;
      (void)::waitpid(-1, &status, 0);  // ours or ECHILD: both are fine
    });
    std::thread joiner([p]() mutable { p.join(); });
    std::this_thread::sleep_for(20ms);
    release.close_write();
    joiner.join();
    reaper.join();
    EXPECT_FALSE(p.is_alive());
    EXPECT_EQ(p.exitcode(), 9) << "trial " << trial;
  }
}

// With SIGCHLD set to SIG_IGN the kernel reaps children itself: the child
// is still reported as ended with its real exit code.
TEST(ProcessJoin, IgnoredSigchldStillReportsTheRealExitcode) {
  struct sigaction ignore {};
  struct sigaction saved {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ASSERT_EQ(::sigaction(SIGCHLD, &ignore, &saved), 0);

  std::optional<int> code;
  bool joined = false, alive = true;
  {
    mpt::pipe_pair release;
    mp::process p = blocker(release, 5);
    mpt::kill_on_exit guard{p};
    p.start();
    release.close_read();
    release.close_write();
    joined = p.join(60s);
    alive = p.is_alive();
    code = p.exitcode();
  }
  ::sigaction(SIGCHLD, &saved, nullptr);
  EXPECT_TRUE(joined);
  EXPECT_FALSE(alive);
  EXPECT_EQ(code, 5);
}

// The join is exact against the child itself: a grandchild that holds every
// fd the child inherited (and runs on) does not delay it.
TEST(ProcessJoin, GrandchildHoldingInheritedFdsDoesNotDelayJoin) {
  mpt::pipe_pair release;
  mpt::shared<std::atomic<pid_t>> grandchild;
  mp::process p([&] {
    release.close_write();
    pid_t pid = ::fork();  // raw fork: not a multiproc child, not joined
    if (pid == 0) {
      mpt::block_until_released(release.read_end());
      ::_exit(0);
    }
    *grandchild = pid;
  });
  p.start();
  release.close_read();
  EXPECT_TRUE(p.join(60s));
  EXPECT_EQ(p.exitcode(), 0);
  // The grandchild is provably still running: it waits for our release.
  ASSERT_GT(grandchild->load(), 0);
  EXPECT_EQ(::kill(grandchild->load(), 0), 0);
  std::vector<mp::process> one{p};
  EXPECT_EQ(mp::wait(one, 0s).size(), 1U);
  release.close_write();  // lets the orphaned grandchild finish
}

// API.md Resources: no zombie outlives an is_alive() or exitcode() call that
// saw the end.
TEST(ProcessJoin, IsAliveAndExitcodeReapTheEndedChild) {
  for (bool use_is_alive : {true, false}) {
    mp::process p([] { mp::exit(2); });
    p.start();
    std::vector<mp::process> one{p};
    ASSERT_EQ(mp::wait(one, 60s).size(), 1U);
    EXPECT_EQ(mpt::find_zombie_child(), *p.pid());
    if (use_is_alive) {
      EXPECT_FALSE(p.is_alive());
    } else {
      EXPECT_EQ(p.exitcode(), 2);
    }
    EXPECT_EQ(mpt::find_zombie_child(), 0);
    p.join();
  }
}

}  // namespace
