// multiproc::wait() and as_completed() on futures (issue 9): Python's
// concurrent.futures.wait(fs, timeout, return_when) and as_completed(fs,
// timeout) over async() and pool futures, alone and mixed.
#include <gtest/gtest.h>
#include <signal.h>
#include <time.h>

#include <chrono>
#include <future>
#include <multiproc/multiproc.hpp>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;
using positions = std::vector<std::size_t>;

namespace {

int sleep_then_echo(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
int die_after(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  ::raise(SIGKILL);
  return 0;
}
int throw_after(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  throw std::invalid_argument("bad input");
}

// `ms` stretched for slow (sanitizer) builds, for gaps between events whose
// order a test checks.
int scaled(int ms) { return static_cast<int>(ms * mpt::slowdown()); }

// Upper bound for "returned promptly after `expected`".
std::chrono::milliseconds soon_after(std::chrono::milliseconds expected) {
  return mpt::late_bound(expected) +
         std::chrono::milliseconds(static_cast<long>(1000 * mpt::slowdown()));
}

mp::future<int> async_sleep(int ms) { return mp::async(sleep_then_echo, ms); }

}  // namespace

TEST(FutureWait, AllCompletedWaitsForEveryAsyncFuture) {
  std::vector<mp::future<int>> fs;
  fs.push_back(async_sleep(150));
  fs.push_back(async_sleep(0));
  fs.push_back(async_sleep(50));
  mpt::stopwatch clock;
  auto [done, not_done] = mp::wait(fs);
  // The first child began its sleep before the others were forked.
  EXPECT_GE(clock.elapsed(), 75ms);
  EXPECT_EQ(done, (positions{0, 1, 2}));
  EXPECT_TRUE(not_done.empty());
  // Waiting took nothing: the values are still there.
  EXPECT_EQ(fs[0].get(), 150);
  EXPECT_EQ(fs[1].get(), 0);
  EXPECT_EQ(fs[2].get(), 50);
}

TEST(FutureWait, FirstCompletedReturnsWhenTheFirstChildEnds) {
  std::vector<mp::future<int>> fs;
  fs.push_back(async_sleep(30'000));  // killed by its future's destructor
  fs.push_back(async_sleep(200));
  mpt::stopwatch clock;
  auto result = mp::wait(fs, mp::return_when::first_completed);
  EXPECT_GE(clock.elapsed(), 150ms);
  EXPECT_LT(clock.elapsed(), soon_after(200ms));
  EXPECT_EQ(result.done, positions{1});
  EXPECT_EQ(result.not_done, positions{0});
  EXPECT_EQ(fs[1].get(), 200);
}

TEST(FutureWait, FirstCompletedOnPoolTasks) {
  mp::pool workers(mpt::with_processes(2));
  std::vector<mp::future<int>> fs;
  fs.push_back(workers.submit(sleep_then_echo, 30'000));
  fs.push_back(workers.submit(sleep_then_echo, 200));
  mpt::stopwatch clock;
  auto [done, not_done] = mp::wait(fs, mp::return_when::first_completed);
  EXPECT_LT(clock.elapsed(), soon_after(200ms));
  EXPECT_EQ(done, positions{1});
  EXPECT_EQ(not_done, positions{0});
  EXPECT_EQ(fs[1].get(), 200);
  EXPECT_TRUE(fs[0].cancel());  // or the pool would finish it at the end
}

TEST(FutureWait, AllCompletedOnPoolTasks) {
  mp::pool workers(mpt::with_processes(2));
  std::vector<mp::future<int>> fs;
  for (int ms : {100, 0, 50, 0, 150}) {
    fs.push_back(workers.submit(sleep_then_echo, ms));
  }
  auto [done, not_done] = mp::wait(fs, 60s);
  EXPECT_EQ(done, (positions{0, 1, 2, 3, 4}));
  EXPECT_TRUE(not_done.empty());
  EXPECT_EQ(fs[4].get(), 150);
}

// Futures of both kinds and of different result types in one wait.
TEST(FutureWait, MixedKindsAndResultTypes) {
  mp::pool workers(mpt::with_processes(1));
  mp::future<int> pooled = workers.submit(sleep_then_echo, 30'000);
  mp::future<std::string> forked = mp::async([] {
    std::this_thread::sleep_for(100ms);
    return std::string("forked");
  });
  auto first = mp::wait({pooled, forked}, mp::return_when::first_completed);
  EXPECT_EQ(first.done, positions{1});
  EXPECT_EQ(first.not_done, positions{0});
  EXPECT_EQ(forked.get(), "forked");

  mp::future<int> quick = workers.submit(sleep_then_echo, 0);  // queued
  mp::future<double> half = mp::async([] { return 0.5; });
  EXPECT_TRUE(pooled.cancel());
  auto all = mp::wait({pooled, quick, half}, 60s);
  EXPECT_EQ(all.done, (positions{0, 1, 2}));
  EXPECT_EQ(quick.get(), 0);
  EXPECT_EQ(half.get(), 0.5);
  EXPECT_THROW(pooled.get(), mp::cancelled_error);
}

TEST(FutureWait, TimeoutReturnsWhatIsDoneByThen) {
  mp::pool workers(mpt::with_processes(1));
  std::vector<mp::future<int>> fs;
  fs.push_back(async_sleep(30'000));
  fs.push_back(async_sleep(0));
  fs.push_back(workers.submit(sleep_then_echo, 30'000));
  fs[1].wait();
  mpt::stopwatch clock;
  auto [done, not_done] = mp::wait(fs, 300ms);
  EXPECT_GE(clock.elapsed(), 300ms);
  EXPECT_LT(clock.elapsed(), soon_after(300ms));
  EXPECT_EQ(done, positions{1});
  EXPECT_EQ(not_done, (positions{0, 2}));
  EXPECT_TRUE(fs[2].cancel());
}

// Zero, negative and hugely negative timeouts look once; a huge one waits
// without limit. None may overflow (UBSan).
TEST(FutureWait, ZeroNegativeAndHugeTimeouts) {
  std::vector<mp::future<int>> fs;
  fs.push_back(async_sleep(30'000));
  fs.push_back(async_sleep(0));
  fs[1].wait();
  mpt::stopwatch clock;
  EXPECT_EQ(mp::wait(fs, 0s).done, positions{1});
  EXPECT_EQ(mp::wait(fs, -1s).done, positions{1});
  EXPECT_EQ(mp::wait(fs, std::chrono::seconds::min()).done, positions{1});
  EXPECT_EQ(mp::wait(fs, std::chrono::duration<double>(-1e300)).done,
            positions{1});
  EXPECT_LT(clock.elapsed(), soon_after(0ms));
  fs[0].cancel();
  EXPECT_EQ(mp::wait(fs, std::chrono::hours::max()).done, (positions{0, 1}));
  EXPECT_EQ(mp::wait(fs, std::chrono::nanoseconds::max()).done,
            (positions{0, 1}));
}

// process_died counts as an exception: FIRST_EXCEPTION returns at the crash
// instead of waiting for the sleeper.
TEST(FutureWait, FirstExceptionReturnsAtACrash) {
  std::vector<mp::future<int>> fs;
  fs.push_back(async_sleep(30'000));
  fs.push_back(mp::async(die_after, 150));
  fs.push_back(async_sleep(0));
  mpt::stopwatch clock;
  auto [done, not_done] = mp::wait(fs, mp::return_when::first_exception);
  EXPECT_LT(clock.elapsed(), soon_after(150ms));
  EXPECT_EQ(done, (positions{1, 2}));
  EXPECT_EQ(not_done, positions{0});
  try {
    fs[1].get();
    ADD_FAILURE() << "expected process_died";
  } catch (const mp::process_died& e) {
    EXPECT_EQ(e.exitcode(), -SIGKILL);
  }
}

// A timeout (async_options::timeout) is a failure too.
TEST(FutureWait, FirstExceptionCountsATimeout) {
  std::vector<mp::future<int>> fs;
  fs.push_back(async_sleep(30'000));
  fs.push_back(mp::async({.timeout = 100ms}, sleep_then_echo, 30'000));
  auto [done, not_done] = mp::wait(fs, mp::return_when::first_exception);
  EXPECT_EQ(done, positions{1});
  EXPECT_THROW(fs[1].get(), mp::timeout_error);
}

TEST(FutureWait, FirstExceptionOnPoolTasks) {
  mp::pool workers(mpt::with_processes(3));
  std::vector<mp::future<int>> fs;
  fs.push_back(workers.submit(sleep_then_echo, 30'000));
  fs.push_back(workers.submit(throw_after, scaled(100)));
  fs.push_back(workers.submit(die_after, scaled(400)));
  auto first = mp::wait(fs, mp::return_when::first_exception);
  EXPECT_EQ(first.done, positions{1});
  EXPECT_THROW(fs[1].get(), std::invalid_argument);
  // A worker's death is an exception too.
  std::vector<mp::future<int>> rest;
  rest.push_back(std::move(fs[0]));
  rest.push_back(std::move(fs[2]));
  auto second = mp::wait(rest, mp::return_when::first_exception);
  EXPECT_EQ(second.done, positions{1});
  EXPECT_THROW(rest[1].get(), mp::process_died);
  EXPECT_TRUE(rest[0].cancel());
}

// Without a failure FIRST_EXCEPTION waits for all; a cancellation is done
// but is no failure (Python's rule), so it does not end the wait.
TEST(FutureWait, FirstExceptionWithoutAFailureWaitsForAll) {
  std::vector<mp::future<int>> fs;
  fs.push_back(async_sleep(200));
  fs.push_back(async_sleep(30'000));
  fs.push_back(async_sleep(0));
  EXPECT_TRUE(fs[1].cancel());
  mpt::stopwatch clock;
  auto [done, not_done] = mp::wait(fs, mp::return_when::first_exception);
  EXPECT_GE(clock.elapsed(), 50ms);  // fs[0] slept while the rest forked
  EXPECT_EQ(done, (positions{0, 1, 2}));
  EXPECT_THROW(fs[1].get(), mp::cancelled_error);
}

TEST(FutureWait, CancelledFuturesAreDone) {
  mp::pool workers(mpt::with_processes(1));
  std::vector<mp::future<int>> fs;
  fs.push_back(workers.submit(sleep_then_echo, 30'000));  // running
  fs.push_back(workers.submit(sleep_then_echo, 30'000));  // queued
  fs.push_back(async_sleep(30'000));
  for (auto& f : fs) EXPECT_TRUE(f.cancel());
  mpt::stopwatch clock;
  auto [done, not_done] = mp::wait(fs, 60s);
  EXPECT_LT(clock.elapsed(), soon_after(0ms));
  EXPECT_EQ(done, (positions{0, 1, 2}));
  for (auto& f : fs) EXPECT_THROW(f.get(), mp::cancelled_error);
}

// A pool task cancelled by another thread wakes a blocked wait at once:
// the record tells the waiter, whoever sets the outcome.
TEST(FutureWait, CancelFromAnotherThreadWakesTheWait) {
  mp::pool workers(mpt::with_processes(1));
  std::vector<mp::future<int>> fs;
  fs.push_back(workers.submit(sleep_then_echo, 30'000));
  fs.push_back(async_sleep(30'000));
  std::thread canceller([&] {
    std::this_thread::sleep_for(200ms);
    fs[0].cancel();
  });
  mpt::stopwatch clock;
  auto [done, not_done] = mp::wait(fs, mp::return_when::first_completed);
  canceller.join();
  EXPECT_LT(clock.elapsed(), soon_after(200ms));
  EXPECT_EQ(done, positions{0});
  EXPECT_EQ(not_done, positions{1});
}

// Event driven: a wait that blocks for half a second on both kinds burns
// (almost) no CPU in the waiting thread, as a polling loop would.
TEST(FutureWait, BlockedWaitUsesNoCpu) {
  mp::pool workers(mpt::with_processes(1));
  std::vector<mp::future<int>> fs;
  fs.push_back(workers.submit(sleep_then_echo, 30'000));
  fs.push_back(async_sleep(30'000));
  auto thread_cpu = [] {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) +
           std::chrono::nanoseconds(ts.tv_nsec);
  };
  const auto before = thread_cpu();
  auto [done, not_done] = mp::wait(fs, 500ms);
  const auto used = thread_cpu() - before;
  EXPECT_TRUE(done.empty());
  EXPECT_LT(used,
            std::chrono::milliseconds(static_cast<long>(50 * mpt::slowdown())));
  EXPECT_TRUE(fs[0].cancel());
}

TEST(FutureWait, EmptyListReturnsAtOnce) {
  std::vector<mp::future<int>> none;
  auto [done, not_done] = mp::wait(none);
  EXPECT_TRUE(done.empty());
  EXPECT_TRUE(not_done.empty());
  EXPECT_TRUE(
      mp::wait(none, 10s, mp::return_when::first_completed).done.empty());
  EXPECT_TRUE(mp::wait(std::span<const mp::waitable_future>{},
                       mp::return_when::first_exception)
                  .not_done.empty());
  int steps = 0;
  for (std::size_t i : mp::as_completed(none, 10s)) {
    (void)i;
    ++steps;
  }
  EXPECT_EQ(steps, 0);
}

// A moved-from future, or one whose result get() has taken, is invalid:
// std::future_error(no_state), as its own wait() throws.
TEST(FutureWait, InvalidFutureThrowsNoState) {
  std::vector<mp::future<int>> fs;
  fs.push_back(async_sleep(0));
  fs.push_back(async_sleep(0));
  mp::future<int> moved = std::move(fs[0]);
  auto expect_no_state = [](auto&& call) {
    try {
      call();
      ADD_FAILURE() << "expected std::future_error";
    } catch (const std::future_error& e) {
      EXPECT_EQ(e.code(), std::future_errc::no_state);
    }
  };
  expect_no_state([&] { mp::wait(fs); });
  expect_no_state([&] { mp::wait(fs, 1s); });
  expect_no_state([&] { mp::as_completed(fs); });
  EXPECT_EQ(moved.get(), 0);
  expect_no_state([&] { mp::wait({moved, fs[1]}); });
  mp::future<int> never;
  expect_no_state([&] { mp::as_completed({never}, 1s); });
  EXPECT_EQ(fs[1].get(), 0);
}

static_assert(std::ranges::input_range<mp::as_completed_range>);

TEST(FutureAsCompleted, YieldsInCompletionOrder) {
  std::vector<mp::future<int>> fs;
  fs.push_back(async_sleep(scaled(600)));
  fs.push_back(async_sleep(scaled(100)));
  fs.push_back(async_sleep(scaled(350)));
  positions order;
  for (std::size_t i : mp::as_completed(fs)) {
    order.push_back(i);
    EXPECT_EQ(fs[i].get(), i == 0   ? scaled(600)
                           : i == 1 ? scaled(100)
                                    : scaled(350));
  }
  EXPECT_EQ(order, (positions{1, 2, 0}));
}

TEST(FutureAsCompleted, PoolTasksInCompletionOrder) {
  mp::pool workers(mpt::with_processes(3));
  std::vector<mp::future<int>> fs;
  for (int ms : {scaled(600), scaled(100), scaled(350)}) {
    fs.push_back(workers.submit(sleep_then_echo, ms));
  }
  positions order;
  for (std::size_t i : mp::as_completed(fs, 60s)) order.push_back(i);
  EXPECT_EQ(order, (positions{1, 2, 0}));
}

// Those done already come first, in list order; each position comes once.
TEST(FutureAsCompleted, DoneFirstThenTheRestMixed) {
  mp::pool workers(mpt::with_processes(1));
  mp::future<int> late = async_sleep(scaled(300));
  mp::future<int> ready_a = async_sleep(0);
  mp::future<std::string> ready_b = mp::async([] { return std::string("b"); });
  mp::future<int> pooled = workers.submit(sleep_then_echo, scaled(100));
  ready_a.wait();
  ready_b.wait();
  positions order;
  for (std::size_t i : mp::as_completed({late, ready_a, ready_b, pooled})) {
    order.push_back(i);
  }
  EXPECT_EQ(order, (positions{1, 2, 3, 0}));
  EXPECT_EQ(ready_b.get(), "b");
  EXPECT_EQ(pooled.get(), scaled(100));
}

// Python: TimeoutError("%d (of %d) futures unfinished") once the timeout,
// counted from the call, passes; those done by then were yielded first.
TEST(FutureAsCompleted, TimeoutThrowsWithPythonsMessage) {
  std::vector<mp::future<int>> fs;
  fs.push_back(async_sleep(30'000));
  fs.push_back(async_sleep(0));
  fs.push_back(async_sleep(100));
  positions seen;
  mpt::stopwatch clock;
  auto completed = mp::as_completed(fs, 400ms);
  try {
    for (std::size_t i : completed) seen.push_back(i);
    ADD_FAILURE() << "expected timeout_error";
  } catch (const mp::timeout_error& e) {
    EXPECT_STREQ(e.what(), "1 (of 3) futures unfinished");
    EXPECT_EQ(e.timeout(), 400ms);
  }
  EXPECT_GE(clock.elapsed(), 400ms);
  EXPECT_LT(clock.elapsed(), soon_after(400ms));
  EXPECT_EQ(seen, (positions{1, 2}));
  // Iteration may go on: the deadline has passed, so the next step throws
  // again at once unless something has finished meanwhile.
  fs[0].cancel();
  auto it = completed.begin();
  ASSERT_FALSE(it == completed.end());
  EXPECT_EQ(*it, 0u);
  ++it;
  EXPECT_TRUE(it == completed.end());
}

TEST(FutureAsCompleted, ZeroTimeoutYieldsOnlyWhatIsDone) {
  std::vector<mp::future<int>> fs;
  fs.push_back(async_sleep(30'000));
  fs.push_back(async_sleep(0));
  fs[1].wait();
  positions seen;
  EXPECT_THROW(
      {
        for (std::size_t i : mp::as_completed(fs, 0s)) seen.push_back(i);
      },
      mp::timeout_error);
  EXPECT_EQ(seen, positions{1});
}

// Many pool tasks one after another: every one is reported once.
TEST(FutureAsCompleted, ManyPoolTasksEachOnce) {
  mp::pool workers(mpt::with_processes(2));
  std::vector<mp::future<int>> fs;
  for (int i = 0; i < 200; ++i)
    fs.push_back(workers.submit(sleep_then_echo, 0));
  std::vector<int> seen(fs.size(), 0);
  for (std::size_t i : mp::as_completed(fs, 120s)) {
    ++seen[i];
    EXPECT_EQ(fs[i].get(), 0);
  }
  for (int count : seen) EXPECT_EQ(count, 1);
}
