// Replacement pool workers (after a crash, a timeout, max_tasks_per_child)
// must be what the initial workers are: children with the signal mask and
// dispositions of the user's program, not of the library's dispatcher
// thread (issue 9, bug 1); and the pool never closes process handles it
// gave out through active_children() (issue 9, bug 10).
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

using multiproc::testing::late_bound;
using multiproc::testing::stopwatch;
using multiproc::testing::with_processes;

// The worker's blocked signals, as a bit set of signals 1..63.
std::uint64_t blocked_signals(int) {
  sigset_t mask;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  std::uint64_t bits = 0;
  for (int signo = 1; signo < 64; ++signo) {
    if (sigismember(&mask, signo) == 1) bits |= std::uint64_t{1} << signo;
  }
  return bits;
}

pid_t worker_pid(int) { return ::getpid(); }

int segfault(int) {
  ::raise(SIGSEGV);
  return 0;  // reached only if SIGSEGV was blocked
}

int alarm_in_one_second(int) {
  ::alarm(1);
  ::pause();  // SIGALRM's default action ends the worker
  return 0;
}

int crash(int) {
  ::raise(SIGKILL);
  return 0;
}

int sleep_forever(int) {
  for (;;) ::pause();
}

std::uint64_t mask_bits_of_this_thread() { return blocked_signals(0); }

}  // namespace

TEST(PoolReplacement, WorkersStartWithTheUsersSignalMask) {
  const std::uint64_t expected = mask_bits_of_this_thread();
  // max_tasks_per_child = 1: every task after the first runs on a worker
  // the dispatcher thread forked.
  mp::pool_options options = with_processes(1);
  options.max_tasks_per_child = 1;
  mp::pool workers(std::move(options));
  const pid_t first = workers.apply(worker_pid, 0);
  EXPECT_EQ(workers.apply(blocked_signals, 0), expected);
  const pid_t replacement = workers.apply(worker_pid, 0);
  EXPECT_NE(first, replacement);
  EXPECT_EQ(workers.apply(blocked_signals, 0), expected);
}

TEST(PoolReplacement, WorkersKeepAMaskTheUserSetBeforeBuildingThePool) {
  // A mask the user chose is kept too, not widened and not cleared.
  sigset_t user_mask, previous;
  sigemptyset(&user_mask);
  sigaddset(&user_mask, SIGUSR1);
  ::pthread_sigmask(SIG_BLOCK, &user_mask, &previous);
  const std::uint64_t expected = mask_bits_of_this_thread();
  {
    mp::pool_options options = with_processes(1);
    options.max_tasks_per_child = 1;
    mp::pool workers(std::move(options));
    workers.apply(worker_pid, 0);
    EXPECT_EQ(workers.apply(blocked_signals, 0), expected);
  }
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

TEST(PoolReplacement, ACrashInAReplacementIsACrash) {
  mp::pool workers(with_processes(1));
  // The first crash replaces the initial worker; the second task runs on
  // the replacement, where raise(SIGSEGV) must end it, not return.
  for (int round = 0; round < 2; ++round) {
    auto f = workers.submit(segfault, 0);
    try {
      f.get();
      ADD_FAILURE() << "raise(SIGSEGV) returned in round " << round;
    } catch (const mp::process_died& e) {
#ifndef __SANITIZE_ADDRESS__
      EXPECT_EQ(e.exitcode(), -SIGSEGV) << "round " << round;
#else
      // ASan's SIGSEGV handler reports the crash and exits with 1.
      EXPECT_NE(e.exitcode(), 0) << "round " << round;
#endif
    }
  }
}

TEST(PoolReplacement, AlarmFiresInAReplacement) {
  mp::pool workers(with_processes(1));
  EXPECT_THROW(workers.apply(crash, 0), mp::process_died);
  auto f =
      workers.submit(mp::task_options{.timeout = 10s}, alarm_in_one_second, 0);
  try {
    f.get();
    ADD_FAILURE() << "the task returned";
  } catch (const mp::process_died& e) {
    EXPECT_EQ(e.exitcode(), -SIGALRM);
  } catch (const mp::timeout_error&) {
    ADD_FAILURE() << "SIGALRM never reached the replacement worker";
  }
}

TEST(PoolReplacement, TerminateReachesAReplacementAtOnce) {
  mp::pool_options options = with_processes(1);
  options.kill_grace = 20s;  // would be waited out if SIGTERM were blocked
  mp::pool workers(std::move(options));
  EXPECT_THROW(workers.apply(crash, 0), mp::process_died);
  auto f = workers.submit(sleep_forever, 0);
  std::this_thread::sleep_for(100ms);  // let the replacement start it
  stopwatch watch;
  workers.terminate();
  workers.join();
  EXPECT_LT(watch.elapsed(), late_bound(1000ms));
  EXPECT_THROW(f.get(), mp::cancelled_error);
}

TEST(PoolHandles, ActiveChildrenHandlesOutliveThePool) {
  std::vector<mp::process> handles;
  {
    mp::pool workers(with_processes(2));
    workers.apply(worker_pid, 0);
    handles = mp::active_children();
    ASSERT_EQ(handles.size(), 2U);
    EXPECT_THROW(workers.apply(crash, 0), mp::process_died);
  }
  // Both workers have ended (one crashed, one was stopped); the handles the
  // user holds still answer.
  for (auto& handle : handles) {
    EXPECT_NO_THROW(handle.join());
    EXPECT_TRUE(handle.pid().has_value());
    EXPECT_TRUE(handle.exitcode().has_value());
    EXPECT_FALSE(handle.is_alive());
  }
}
