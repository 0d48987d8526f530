// What a child used: process::usage() from the reap, future::usage() for
// async() children and for pool tasks (their own share, measured in the
// worker).
#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <future>
#include <multiproc/multiproc.hpp>
#include <vector>

#include "limits_test_support.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kMiB = std::size_t{1} << 20;

// This thread's CPU time so far.
std::chrono::nanoseconds thread_cpu() {
  timespec now{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return std::chrono::seconds(now.tv_sec) +
         std::chrono::nanoseconds(now.tv_nsec);
}

// Burns `ms` of CPU, counted on this thread's CPU clock, not the wall
// clock: on a loaded machine a wall-clock bound gave the child as little
// as 26 ms of CPU in 400 ms, below the assertions' floors. A busy machine
// makes it take longer instead.
int burn(int ms) {
  volatile unsigned long sink = 0;
  const auto until = thread_cpu() + std::chrono::milliseconds(ms);
  while (thread_cpu() < until) sink = sink + 1;
  return 0;
}

std::size_t touch(std::size_t bytes) {
  std::vector<char> block(bytes);
  std::memset(block.data(), 1, block.size());
  return block.size();
}

}  // namespace

TEST(UsageProcess, EmptyBeforeStartAndWhileRunning) {
  mp::process p([] { ::pause(); });
  EXPECT_FALSE(p.usage());
  p.start();
  EXPECT_FALSE(p.usage());
  p.kill();
  p.join();
  EXPECT_TRUE(p.usage());
}

TEST(UsageProcess, CountsTheChildsCpuNotTheParents) {
  mp::process p(burn, 400);
  p.start();
  p.join();
  auto used = p.usage();
  ASSERT_TRUE(used);
  // The child burned 400 ms of CPU; the floor is slack for accounting.
  EXPECT_GE(used->user_cpu + used->system_cpu, 50ms);
  EXPECT_LE(used->cpu(), 5s);
  EXPECT_GT(used->minor_faults, 0u);
}

TEST(UsageProcess, PeakRssCoversWhatTheChildTouched) {
  mp::process p(touch, 64 * kMiB);
  p.start();
  p.join();
  ASSERT_TRUE(p.usage());
  EXPECT_GE(p.usage()->max_rss, 64 * kMiB);
  // A copy of the handle sees the same record.
  mp::process copy = p;
  EXPECT_EQ(copy.usage()->max_rss, p.usage()->max_rss);
}

TEST(UsageProcess, AnIdleChildUsesLittle) {
  mp::process p([] {});
  p.start();
  p.join();
  ASSERT_TRUE(p.usage());
  EXPECT_LT(p.usage()->cpu(), 1s);
}

TEST(UsageProcess, ClosedProcessThrows) {
  mp::process p([] {});
  p.start();
  p.join();
  p.close();
  EXPECT_THROW(p.usage(), mp::usage_error);
}

TEST(UsageFuture, AsyncChildsUsageAfterGet) {
  auto f = mp::async(burn, 300);
  EXPECT_EQ(f.wait_for(0s), std::future_status::timeout);
  EXPECT_FALSE(f.usage());
  f.get();
  ASSERT_TRUE(f.usage());  // still known after get()
  EXPECT_GE(f.usage()->cpu(), 30ms);
}

TEST(UsageFuture, InvalidFutureHasNoState) {
  mp::future<int> f;
  EXPECT_THROW(f.usage(), std::future_error);
}

TEST(UsageFuture, PoolTaskUsageIsItsOwnShare) {
  mp::pool workers({.processes = 1});
  auto heavy = workers.submit(burn, 400);
  auto light = workers.submit([] { return 1; });
  heavy.get();
  light.get();
  ASSERT_TRUE(heavy.usage());
  ASSERT_TRUE(light.usage());
  EXPECT_GE(heavy.usage()->cpu(), 50ms);
  // Measured around the task, not the worker's life: the light one ran
  // on the same worker after the heavy one.
  EXPECT_LT(light.usage()->cpu(), heavy.usage()->cpu());
  EXPECT_LT(light.usage()->cpu(), 50ms);
}

TEST(UsageFuture, PoolTaskPeakRssIsResetBetweenTasks) {
  MULTIPROC_SKIP_MEMORY_CAPS();  // sanitizers' allocators keep what is freed
  mp::pool workers({.processes = 1});
  auto big = workers.submit(touch, 128 * kMiB);
  big.get();
  auto small = workers.submit([] { return 1; });
  small.get();
  ASSERT_TRUE(big.usage());
  ASSERT_TRUE(small.usage());
  EXPECT_GE(big.usage()->max_rss, 128 * kMiB);
  // /proc/self/clear_refs reset the peak before the small task.
  EXPECT_LT(small.usage()->max_rss, 64 * kMiB);
}

TEST(UsageFuture, FirstTaskOfAForkedWorkerDoesNotInheritTheParentsPeak) {
  MULTIPROC_SKIP_MEMORY_CAPS();  // sanitizers' allocators keep what is freed
  // The parent's own peak (128 MiB touched, then returned to the system)
  // is not the worker's: a fork's peak starts at the memory it inherits,
  // which is why a fresh worker's first task skips the reset.
  touch(128 * kMiB);
  mp::pool workers({.processes = 1});
  auto first = workers.submit([] { return 1; });
  first.get();
  ASSERT_TRUE(first.usage());
  EXPECT_LT(first.usage()->max_rss, 64 * kMiB);
}

TEST(UsageFuture, PoolTaskThatWasCancelledHasNone) {
  mp::pool workers({.processes = 1});
  auto blocker = workers.submit(burn, 300);
  auto queued = workers.submit([] { return 1; });
  EXPECT_TRUE(queued.cancel());
  EXPECT_FALSE(queued.usage());
  blocker.get();
}
