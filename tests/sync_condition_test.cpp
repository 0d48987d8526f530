// mp::condition (spec/ipc.md §5 rows 10-12): Python's messages in every
// build mode, exact notify counts, and a dead waiter that cannot wedge or
// absorb a notify.
#include <gtest/gtest.h>

#include <atomic>
#include <multiproc/multiproc.hpp>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using mpt::usage_message;
using namespace std::chrono_literals;

namespace {

// §5 row 10.
TEST(SyncCondition, MisuseThrowsPythonsMessages) {
  mp::condition c;
  EXPECT_EQ(usage_message([&] { c.wait(); }),
            "must acquire() condition before using wait()");
  EXPECT_EQ(usage_message([&] { (void)c.wait(10ms); }),
            "must acquire() condition before using wait()");
  EXPECT_EQ(usage_message([&] { c.notify(); }), "lock is not owned");
  EXPECT_EQ(usage_message([&] { c.notify_all(); }), "lock is not owned");
  mp::condition over_lock{mp::lock()};
  EXPECT_EQ(usage_message([&] { over_lock.notify(); }), "lock is not owned");
}

// §5 row 11.
TEST(SyncCondition, TimeoutsAndWaitFor) {
  mp::condition c;
  std::lock_guard g(c);
  mpt::stopwatch watch;
  EXPECT_FALSE(c.wait(200ms));
  EXPECT_GE(watch.elapsed(), 200ms);
  EXPECT_LT(watch.elapsed(), mpt::late_bound(200ms));
  EXPECT_EQ(c.wait_for([] { return 0; }, 50ms), 0);
  EXPECT_EQ(std::string(c.wait_for([] { return "x"; })), "x");
}

// A deadline on another clock is honoured by both kinds of wait_until.
TEST(SyncCondition, WaitUntilOnAnyClock) {
  mp::condition c;
  std::lock_guard g(c);
  mpt::stopwatch watch;
  EXPECT_FALSE(c.wait_until(std::chrono::system_clock::now() + 150ms));
  EXPECT_GE(watch.elapsed(), 140ms);
  EXPECT_LT(watch.elapsed(), mpt::late_bound(150ms));
  watch = mpt::stopwatch();
  EXPECT_FALSE(c.wait_until(std::chrono::steady_clock::now() + 150ms));
  EXPECT_GE(watch.elapsed(), 150ms);
  EXPECT_LT(watch.elapsed(), mpt::late_bound(150ms));
}

TEST(SyncCondition, WaitRestoresTheRlockDepth) {
  mp::rlock r;
  mp::condition c(r);
  r.lock();
  r.lock();
  EXPECT_FALSE(c.wait(10ms));
  // Still held twice by this thread: two releases, then a third throws.
  r.release();
  r.release();
  EXPECT_EQ(usage_message([&] { r.release(); }),
            "attempt to release recursive lock not owned by thread");
}

// notify(2) with 3 waiters in other processes: exactly 2 wake; then
// notify_all wakes the last.
TEST(SyncCondition, NotifyWakesExactlyN) {
  mp::condition c;
  mpt::shared<std::atomic<int>> waiting;
  mpt::shared<std::atomic<int>> woke;
  std::atomic<int>* in = &*waiting;
  std::atomic<int>* out = &*woke;
  std::vector<mp::process> waiters;
  for (int i = 0; i < 3; ++i) {
    waiters.emplace_back([c, in, out]() mutable {
      std::lock_guard g(c);
      in->fetch_add(1);
      if (c.wait(20s)) out->fetch_add(1);
    });
  }
  for (auto& w : waiters) w.start();
  while (in->load() < 3) std::this_thread::sleep_for(1ms);
  {
    std::lock_guard g(c);  // every waiter is inside wait() now
    c.notify(2);
  }
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(out->load(), 2);
  {
    std::lock_guard g(c);
    c.notify_all();
  }
  for (auto& w : waiters) w.join();
  EXPECT_EQ(out->load(), 3);
}

// §5 row 12: a waiter SIGKILLed inside wait(); notify() and notify_all()
// return at once; then a live waiter and one notify(): it wakes (the dead
// one did not absorb it).
TEST(SyncCondition, DeadWaiterCannotWedgeOrAbsorbANotify) {
  mp::condition c;
  mpt::shared<std::atomic<int>> entered;
  std::atomic<int>* flag = &*entered;
  mp::process sleeper([c, flag]() mutable {
    std::lock_guard g(c);
    flag->store(1);
    c.wait();
  });
  mpt::kill_on_exit guard{sleeper};
  sleeper.start();
  while (flag->load() == 0) std::this_thread::sleep_for(1ms);
  // The sleeper held the lock from before the flag until wait() let it
  // go: once we hold it, the sleeper is inside wait().
  ASSERT_TRUE(c.acquire(5s));
  c.release();
  mpt::kill_and_reap(sleeper);
  ASSERT_TRUE(c.acquire(2s));
  mpt::stopwatch watch;
  c.notify();
  c.notify_all();
  EXPECT_LT(watch.elapsed(), mpt::late_bound(0ms));
  c.release();
  mpt::shared<std::atomic<int>> waiting;
  std::atomic<int>* in = &*waiting;
  mp::process live([c, in]() mutable {
    std::lock_guard g(c);
    in->store(1);
    if (!c.wait(10s)) ::_exit(1);
  });
  live.start();
  while (in->load() == 0) std::this_thread::sleep_for(1ms);
  {
    std::lock_guard g(c);
    c.notify();
  }
  live.join();
  EXPECT_EQ(live.exitcode(), 0);
}

TEST(SyncCondition, ProducerConsumerAcrossProcesses) {
  mp::condition c;
  mpt::shared<int> items;
  int* count = &*items;
  mp::process consumer([c, count]() mutable {
    std::lock_guard g(c);
    for (int taken = 0; taken < 100; ++taken) {
      c.wait([&] { return *count > 0; });
      --*count;
    }
  });
  consumer.start();
  for (int i = 0; i < 100; ++i) {
    std::lock_guard g(c);
    ++*count;
    c.notify();
  }
  consumer.join();
  EXPECT_EQ(consumer.exitcode(), 0);
  EXPECT_EQ(*items, 0);
}

}  // namespace
