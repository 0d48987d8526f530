// Fault matrix (docs/RELIABILITY.md), signals and descriptors:
// - a signal storm (SIGUSR1 with a handler, no SA_RESTART, every 100 µs, at
//   the waiting thread or at the process) during join(), join(timeout),
//   join_until() and wait(): they return at the right moment, never early
//   (exact) and not late (generous slack);
// - a child that ignores SIGTERM: terminate() does nothing, kill() ends it,
//   and process::stop() escalates on its own;
// - a child that closes all its fds, and a grandchild that holds every fd
//   of the child: joins and results are exact.
//
// Also covered elsewhere: tests/process_signal_test.cpp
// (ProcessSignal.ChildIgnoringSigtermNeedsKill) and
// tests/process_join_test.cpp
// (ProcessJoin.GrandchildHoldingInheritedFdsDoesNotDelayJoin).
#include <gtest/gtest.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/leak_guard.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

std::atomic<long> g_handled{0};
void count_signal(int) { g_handled.fetch_add(1, std::memory_order_relaxed); }

enum class aim { thread, process };

// SIGUSR1 every 100 µs from a helper thread, at one thread (pthread_kill)
// or at the process (kill), with a handler installed without SA_RESTART so
// that every blocking call it lands in fails with EINTR.
class signal_storm {
 public:
  explicit signal_storm(aim target) {
    struct sigaction action {};
    action.sa_handler = count_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART
    ::sigaction(SIGUSR1, &action, &saved_);
    const pthread_t waiter = ::pthread_self();
    const pid_t self = ::getpid();
    sender_ = std::thread([this, target, waiter, self] {
      // Process-directed signals must reach the waiting thread, not us.
      sigset_t block;
      sigemptyset(&block);
      sigaddset(&block, SIGUSR1);
      ::pthread_sigmask(SIG_BLOCK, &block, nullptr);
      while (!stop_.load()) {
        if (target == aim::thread) {
          ::pthread_kill(waiter, SIGUSR1);
        } else {
          ::kill(self, SIGUSR1);
        }
        std::this_thread::sleep_for(100us);
      }
    });
  }
  signal_storm(const signal_storm&) = delete;
  signal_storm& operator=(const signal_storm&) = delete;
  ~signal_storm() {
    stop_.store(true);
    sender_.join();
    // Let a signal still pending reach the handler before it goes.
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGUSR1) == 1) std::this_thread::sleep_for(1ms);
    ::sigaction(SIGUSR1, &saved_, nullptr);
  }

 private:
  struct sigaction saved_ {};
  std::atomic<bool> stop_{false};
  std::thread sender_;
};

mp::process sleeper(std::chrono::milliseconds how_long) {
  return mp::process([how_long] { std::this_thread::sleep_for(how_long); });
}

class ReliabilityStorm : public ::testing::TestWithParam<aim> {};

// join(): returns only once the child has ended (it sleeps 300 ms, so not
// before), and not much later.
TEST_P(ReliabilityStorm, JoinReturnsWhenTheChildEnds) {
  for (int trial = 0; trial < 3; ++trial) {
    mp::process p = sleeper(300ms);
    mpt::kill_on_exit guard{p};
    const long handled = g_handled.load();
    mpt::stopwatch clock;
    {
      signal_storm storm(GetParam());
      p.start();
      p.join();
    }
    auto elapsed = clock.elapsed();
    EXPECT_FALSE(p.is_alive());
    EXPECT_EQ(p.exitcode(), 0);
    EXPECT_GE(elapsed, 300ms);
    EXPECT_LE(elapsed, mpt::late_bound(300ms));
    EXPECT_GT(g_handled.load() - handled, 10) << "the storm did not land";
  }
}

// join(timeout) on a child that outlives it: false, not before the timeout.
TEST_P(ReliabilityStorm, TimedJoinTimesOutNeitherEarlyNorLate) {
  mpt::pipe_pair release;
  mp::process p([&] {
    release.close_write();
    mpt::block_until_released(release.read_end());
  });
  mpt::kill_on_exit guard{p};
  p.start();
  release.close_read();
  for (auto timeout : {1ms, 50ms, 200ms}) {
    mpt::stopwatch clock;
    bool ended = true;
    {
      signal_storm storm(GetParam());
      ended = p.join(timeout);
    }
    auto elapsed = clock.elapsed();
    EXPECT_FALSE(ended);
    EXPECT_GE(elapsed, timeout);
    EXPECT_LE(elapsed, mpt::late_bound(timeout));
  }
  EXPECT_TRUE(p.is_alive());
  release.close_write();
  p.join();
}

// join(timeout) and join_until() on a child that ends first: true, once it
// has ended.
TEST_P(ReliabilityStorm, TimedJoinReturnsWhenTheChildEnds) {
  for (bool until : {false, true}) {
    mp::process p = sleeper(300ms);
    mpt::kill_on_exit guard{p};
    mpt::stopwatch clock;
    bool ended = false;
    {
      signal_storm storm(GetParam());
      p.start();
      ended = until ? p.join_until(std::chrono::system_clock::now() + 60s)
                    : p.join(60s);
    }
    auto elapsed = clock.elapsed();
    EXPECT_TRUE(ended);
    EXPECT_FALSE(p.is_alive());
    EXPECT_GE(elapsed, 300ms);
    EXPECT_LE(elapsed, mpt::late_bound(300ms));
  }
}

// wait(): times out not early with nothing ended, then returns exactly the
// child that ended, once it has.
TEST_P(ReliabilityStorm, WaitReturnsAtTheRightMoment) {
  mp::process slow = sleeper(100s);
  mp::process quick = sleeper(500ms);
  mpt::kill_on_exit guard{slow, quick};
  mpt::stopwatch clock;
  std::vector<mp::process> ended_early, ended;
  std::chrono::milliseconds timed_out{}, returned{};
  {
    signal_storm storm(GetParam());
    slow.start();
    quick.start();
    std::vector<mp::process> both{slow, quick};
    ended_early = mp::wait(both, 200ms);
    timed_out = clock.elapsed();
    ended = mp::wait(both);
    returned = clock.elapsed();
  }
  EXPECT_TRUE(ended_early.empty());
  EXPECT_GE(timed_out, 200ms);
  EXPECT_LE(timed_out, mpt::late_bound(200ms));
  ASSERT_EQ(ended.size(), 1U);
  EXPECT_EQ(ended[0].state(), quick.state());
  EXPECT_GE(returned, 500ms);
  EXPECT_LE(returned, mpt::late_bound(500ms));
  quick.join();
  EXPECT_EQ(quick.exitcode(), 0);
  slow.kill();
  slow.join();
}

// start() and join() of many children while the storm goes on: fork,
// pidfd_open and the exit steps all survive EINTR.
TEST_P(ReliabilityStorm, ManyStartsAndJoins) {
  signal_storm storm(GetParam());
  for (int i = 0; i < 30; ++i) {
    mp::process p([i] { mp::exit(i); });
    p.start();
    p.join();
    EXPECT_EQ(p.exitcode(), i);
  }
}

INSTANTIATE_TEST_SUITE_P(Aims, ReliabilityStorm,
                         ::testing::Values(aim::thread, aim::process),
                         [](const ::testing::TestParamInfo<aim>& param_info) {
                           return param_info.param == aim::thread
                                      ? "AtTheThread"
                                      : "AtTheProcess";
                         });

// --- A child that ignores SIGTERM; process::stop() -------------------------

// Starts a child that ignores SIGTERM and waits until it does.
mp::process start_sigterm_ignorer() {
  mpt::pipe_pair ready;
  mp::process p([&] {
    ::signal(SIGTERM, SIG_IGN);
    mpt::write_all(ready.write_end(), "ready\n");
    std::this_thread::sleep_for(100s);
  });
  p.start();
  ready.close_write();
  EXPECT_EQ(mpt::read_line(ready.read_end()), "ready");
  return p;
}

TEST(ReliabilityStop, TerminateHasNoEffectKillEndsIt) {
  mp::process p = start_sigterm_ignorer();
  mpt::kill_on_exit guard{p};
  p.terminate();
  EXPECT_FALSE(p.join(300ms));
  EXPECT_TRUE(p.is_alive());
  p.kill();
  EXPECT_TRUE(p.join(60s));
  EXPECT_EQ(p.exitcode(), -SIGKILL);
}

TEST(ReliabilityStop, EscalatesToSigkillAfterTheGrace) {
  mp::process p = start_sigterm_ignorer();
  mpt::kill_on_exit guard{p};
  mpt::stopwatch clock;
  EXPECT_FALSE(p.stop(300ms));
  auto elapsed = clock.elapsed();
  EXPECT_EQ(p.exitcode(), -SIGKILL);
  EXPECT_FALSE(p.is_alive());
  EXPECT_GE(elapsed, 300ms);
  EXPECT_LE(elapsed, mpt::late_bound(300ms));
}

TEST(ReliabilityStop, PoliteChildEndsWithSigtermWithinTheGrace) {
  mp::process p = sleeper(100s);
  mpt::kill_on_exit guard{p};
  p.start();
  // A grace far longer than any test: escalation would show as a timeout.
  EXPECT_TRUE(p.stop(100s));
  EXPECT_EQ(p.exitcode(), -SIGTERM);
}

TEST(ReliabilityStop, ChildThatHandlesSigtermKeepsItsOwnExitCode) {
  mpt::pipe_pair ready;
  mp::process p([&] {
    struct sigaction action {};
    action.sa_handler = [](int) { ::_exit(3); };
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGTERM, &action, nullptr);
    mpt::write_all(ready.write_end(), "ready\n");
    std::this_thread::sleep_for(100s);
  });
  mpt::kill_on_exit guard{p};
  p.start();
  ready.close_write();
  ASSERT_EQ(mpt::read_line(ready.read_end()), "ready");
  EXPECT_TRUE(p.stop(100s));
  EXPECT_EQ(p.exitcode(), 3);
}

TEST(ReliabilityStop, EndedChildIsNotSignalled) {
  mp::process p([] { mp::exit(4); });
  p.start();
  p.join();
  EXPECT_TRUE(p.stop());
  EXPECT_EQ(p.exitcode(), 4);
}

TEST(ReliabilityStop, BeforeStartIsAUsageError) {
  mp::process p([] {});
  try {
    p.stop();
    ADD_FAILURE() << "stop() before start() did not throw";
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(), "can only join a started process");
  }
}

// --- Children that close, or grandchildren that hold, every fd -------------

// The child closes every fd it has (the library's own included: its view
// of the parent) and runs on; the join is exact.
TEST(ReliabilityFds, ChildClosingEveryFdIsJoinedExactly) {
  mp::process p([] {
    ::syscall(SYS_close_range, 0U, ~0U, 0U);
    std::this_thread::sleep_for(200ms);
  });
  mpt::stopwatch clock;
  p.start();
  EXPECT_TRUE(p.join(60s));
  auto elapsed = clock.elapsed();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_GE(elapsed, 200ms);
  EXPECT_LE(elapsed, mpt::late_bound(200ms));
}

// ...and can still start, join and read the code of its own child.
TEST(ReliabilityFds, ChildClosingEveryFdCanStillStartChildren) {
  mp::process p([] {
    ::syscall(SYS_close_range, 0U, ~0U, 0U);
    mp::process grandchild([] { mp::exit(9); });
    grandchild.start();
    grandchild.join();
    mp::exit(grandchild.exitcode() == 9 ? 0 : 1);
  });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// An async() child forks a grandchild that holds every fd it has, the
// result channel included, and outlives it: the result arrives as soon as
// the child itself has ended.
TEST(ReliabilityFds, AsyncResultArrivesWhileAGrandchildHoldsEveryFd) {
  mpt::pipe_pair release;
  mpt::shared<std::atomic<pid_t>> grandchild;
  auto f = mp::async([&] {
    release.close_write();
    pid_t pid = ::fork();  // raw fork: not joined by the child's exit steps
    if (pid == 0) {
      mpt::block_until_released(release.read_end());
      ::_exit(0);
    }
    *grandchild = pid;
    return 42;
  });
  release.close_read();
  EXPECT_EQ(f.wait_for(60s), std::future_status::ready);
  EXPECT_EQ(f.get(), 42);
  ASSERT_GT(grandchild->load(), 0);
  EXPECT_EQ(::kill(grandchild->load(), 0), 0) << "the grandchild had ended";
  release.close_write();
}

}  // namespace
