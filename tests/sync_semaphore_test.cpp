// mp::semaphore and mp::bounded_semaphore (spec/ipc.md §5 rows 7-9).
#include <gtest/gtest.h>

#include <atomic>
#include <multiproc/multiproc.hpp>
#include <mutex>
#include <string>
#include <thread>

#include "support/child_io.hpp"
#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using mpt::usage_message;
using namespace std::chrono_literals;

namespace {

constexpr const char* kTooMany = "semaphore or lock released too many times";

// §5 row 7.
TEST(SyncSemaphore, PythonBasics) {
  mp::semaphore s(2);
  EXPECT_EQ(s.get_value(), 2);
  ASSERT_TRUE(s.acquire());
  EXPECT_EQ(s.get_value(), 1);
  ASSERT_TRUE(s.acquire());
  EXPECT_EQ(s.get_value(), 0);
  EXPECT_FALSE(s.acquire(false));
  mpt::stopwatch watch;
  EXPECT_FALSE(s.acquire(100ms));
  EXPECT_GE(watch.elapsed(), 100ms);
  for (int i = 0; i < 4; ++i) s.release();
  EXPECT_EQ(s.get_value(), 4);  // past the initial value is allowed
  EXPECT_EQ(s.lost_permits(), 0u);
}

TEST(SyncSemaphore, PythonMessages) {
  EXPECT_EQ(usage_message([] { mp::semaphore s(-1); }),
            "semaphore initial value must be >= 0");
  EXPECT_EQ(usage_message([] { mp::bounded_semaphore s(-1); }),
            "semaphore initial value must be >= 0");
  mp::semaphore full(mp::semaphore::max_value);
  EXPECT_EQ(usage_message([&] { full.release(); }), kTooMany);
  mp::bounded_semaphore b(2);
  EXPECT_EQ(usage_message([&] { b.release(); }), kTooMany);
  EXPECT_EQ(b.get_value(), 2);
  mp::bounded_semaphore zero(0);
  EXPECT_EQ(zero.get_value(), 0);
  EXPECT_FALSE(zero.acquire(false));
  EXPECT_EQ(usage_message([&] { zero.release(); }), kTooMany);
}

TEST(SyncSemaphore, ReleaseWakesAWaiterInAnotherProcess) {
  mp::semaphore s(0);
  mp::process waiter([s]() mutable {
    if (!s.acquire(10s)) ::_exit(1);
  });
  waiter.start();
  std::this_thread::sleep_for(50ms);
  mpt::stopwatch watch;
  s.release();
  waiter.join();
  EXPECT_EQ(waiter.exitcode(), 0);
  EXPECT_LT(watch.elapsed(), mpt::late_bound(0ms));
  EXPECT_EQ(s.get_value(), 0);
}

// §5 row 8: racing releases at full value never raise the value past the
// bound at any observation.
TEST(SyncSemaphore, BoundedNeverAboveItsBoundUnderRacingReleases) {
  mp::bounded_semaphore b(2);
  mpt::shared<std::atomic<int>> done;
  std::atomic<int>* finished = &*done;
  auto racer = [b, finished]() mutable {
    for (int i = 0; i < 10000; ++i) {
      // Every release may be refused: the other racer's release may have
      // brought the value back to the bound first.
      try {
        if (b.acquire(false)) b.release();
      } catch (const mp::usage_error&) {
      }
      try {
        b.release();  // at full value unless the other holds one
        b.acquire();  // give it back
      } catch (const mp::usage_error&) {
      }
    }
    finished->fetch_add(1);
  };
  mp::process one(racer);
  mp::process two(racer);
  one.start();
  two.start();
  int highest = 0;
  while (done->load() < 2 && (one.is_alive() || two.is_alive())) {
    const int v = b.get_value();
    if (v > highest) highest = v;
  }
  one.join();
  two.join();
  EXPECT_EQ(one.exitcode(), 0);
  EXPECT_EQ(two.exitcode(), 0);
  EXPECT_LE(highest, 2);
  EXPECT_LE(b.get_value(), 2);
}

// §5 row 9, default: the permit of a killed holder is lost and counted.
TEST(SyncSemaphore, KilledHoldersPermitIsLostAndCounted) {
  mp::semaphore s(2);
  mpt::pipe_pair release;
  mp::process holder = mpt::start_holder([s]() mutable { s.lock(); }, release);
  mpt::kill_on_exit guard{holder};
  EXPECT_EQ(s.lost_permits(), 0u);
  mpt::kill_and_reap(holder);
  EXPECT_EQ(s.get_value(), 1);
  EXPECT_EQ(s.lost_permits(), 1u);
}

// §5 row 9, reclaim_on_death: the permit comes back promptly, and the
// acquisition that takes it says so.
TEST(SyncSemaphore, ReclaimOnDeathGivesThePermitBack) {
  mp::semaphore_options options;
  options.reclaim_on_death = true;
  mp::semaphore s(2, options);
  mpt::pipe_pair release;
  mp::process holder = mpt::start_holder(
      [s]() mutable {
        s.lock();
        s.lock();
        s.release();  // holds one permit in the end
      },
      release);
  mpt::kill_on_exit guard{holder};
  EXPECT_EQ(s.get_value(), 1);
  mpt::kill_and_reap(holder);
  EXPECT_EQ(s.get_value(), 2);
  EXPECT_EQ(s.lost_permits(), 0u);
  auto first = s.acquire(false);
  EXPECT_TRUE(first.owner_died());
  auto second = s.acquire(false);
  EXPECT_TRUE(second.acquired());
  EXPECT_FALSE(second.owner_died());
}

// A waiter already blocked gets a reclaimed permit promptly.
TEST(SyncSemaphore, ReclaimedPermitReachesABlockedWaiter) {
  mp::semaphore_options options;
  options.reclaim_on_death = true;
  mp::semaphore s(1, options);
  mpt::pipe_pair release;
  mp::process holder = mpt::start_holder([s]() mutable { s.lock(); }, release);
  mpt::kill_on_exit guard{holder};
  mp::acquire_result got;
  std::thread waiter([&] { got = s.acquire(10s); });
  std::this_thread::sleep_for(100ms);
  mpt::stopwatch watch;
  mpt::kill_and_reap(holder);
  waiter.join();
  EXPECT_TRUE(got.owner_died());
  EXPECT_LT(watch.elapsed(), mpt::late_bound(100ms));
}

// A process that released what it acquired left nothing to lose.
TEST(SyncSemaphore, BalancedProcessLosesNothing) {
  mp::semaphore s(1);
  mp::process worker([s]() mutable {
    for (int i = 0; i < 100; ++i) {
      std::lock_guard g(s);
    }
  });
  worker.start();
  worker.join();
  EXPECT_EQ(s.get_value(), 1);
  EXPECT_EQ(s.lost_permits(), 0u);
}

// The seed's "semaphore limiting concurrent workers": never more than 2.
TEST(SyncSemaphore, LimitsConcurrentWorkers) {
  mp::semaphore s(2);
  mpt::shared<std::atomic<int>> inside;
  mpt::shared<std::atomic<int>> most;
  std::atomic<int>* now = &*inside;
  std::atomic<int>* peak = &*most;
  std::vector<mp::process> workers;
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([s, now, peak]() mutable {
      for (int i = 0; i < 200; ++i) {
        std::lock_guard g(s);
        const int n = now->fetch_add(1) + 1;
        int seen = peak->load();
        while (n > seen && !peak->compare_exchange_weak(seen, n)) {
        }
        now->fetch_sub(1);
      }
    });
  }
  for (auto& w : workers) w.start();
  for (auto& w : workers) w.join();
  EXPECT_LE(most->load(), 2);
  EXPECT_GE(most->load(), 1);
  EXPECT_EQ(s.get_value(), 2);
}

}  // namespace
