// mp::event (spec/ipc.md §5 row 13): Python's basics, a dead waiter that
// cannot delay set(), and set() from a signal handler.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <multiproc/multiproc.hpp>
#include <thread>

#include "support/child_io.hpp"
#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

TEST(SyncEvent, PythonBasics) {
  mp::event e;
  EXPECT_FALSE(e.is_set());
  mpt::stopwatch watch;
  EXPECT_FALSE(e.wait(100ms));
  EXPECT_GE(watch.elapsed(), 100ms);
  EXPECT_LT(watch.elapsed(), mpt::late_bound(100ms));
  e.set();
  mpt::stopwatch quick;
  e.wait();
  EXPECT_TRUE(e.wait(0s));
  EXPECT_LT(quick.elapsed(), mpt::late_bound(0ms));
  e.set();  // twice is fine
  e.clear();
  EXPECT_FALSE(e.is_set());
  EXPECT_FALSE(e.wait(0s));
  EXPECT_FALSE(e.wait_until(std::chrono::system_clock::now() + 20ms));
}

TEST(SyncEvent, SetWakesWaitersInOtherProcesses) {
  mp::event e;
  std::vector<mp::process> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([e]() mutable {
      if (!e.wait(10s)) ::_exit(1);
    });
  }
  for (auto& w : waiters) w.start();
  std::this_thread::sleep_for(50ms);
  e.set();
  for (auto& w : waiters) {
    w.join();
    EXPECT_EQ(w.exitcode(), 0);
  }
}

// A waiter SIGKILLed inside wait(): set() returns at once, the live
// waiter returns true, is_set() is true.
TEST(SyncEvent, DeadWaiterCannotDelaySet) {
  mp::event e;
  mpt::pipe_pair release;
  mp::process dead = mpt::start_holder([] {}, release);
  // The "holder" above only proves the child runs; this one waits.
  mpt::kill_on_exit guard{dead};
  mp::process sleeper([e]() mutable { e.wait(); });
  mpt::kill_on_exit guard2{sleeper};
  sleeper.start();
  mp::process live([e]() mutable {
    if (!e.wait(10s)) ::_exit(1);
  });
  live.start();
  std::this_thread::sleep_for(100ms);
  mpt::kill_and_reap(sleeper);
  mpt::stopwatch watch;
  e.set();
  EXPECT_LT(watch.elapsed(), mpt::late_bound(0ms));
  EXPECT_TRUE(e.is_set());
  live.join();
  EXPECT_EQ(live.exitcode(), 0);
  mpt::kill_and_reap(dead);
}

mp::event* g_event = nullptr;

// gh-85772: a handler that sets the event the interrupted thread waits on.
TEST(SyncEvent, SetFromASignalHandlerWakesTheInterruptedWait) {
  mp::event e;
  g_event = &e;
  struct sigaction action {};
  action.sa_handler = [](int) { g_event->set(); };
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &old), 0);
  const pthread_t me = ::pthread_self();
  std::thread poker([me] {
    std::this_thread::sleep_for(100ms);
    ::pthread_kill(me, SIGUSR1);
  });
  mpt::stopwatch watch;
  EXPECT_TRUE(e.wait(10s));
  EXPECT_LT(watch.elapsed(), mpt::late_bound(100ms));
  poker.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  g_event = nullptr;
}

}  // namespace
