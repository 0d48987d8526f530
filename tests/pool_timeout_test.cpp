// Pool task timeouts at the extremes (issue 9, bugs 3 and 4): a timeout
// that has passed before the task could run is a timeout_error without
// churning workers; a huge one is no limit, never an overflow.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>
#include <set>
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

int echo(int x) { return x; }
int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}

std::set<pid_t> worker_pids() {
  std::set<pid_t> pids;
  for (auto& child : mp::active_children()) pids.insert(*child.pid());
  return pids;
}

void expect_all_time_out(std::chrono::nanoseconds timeout) {
  mp::pool workers(with_processes(2));
  const std::set<pid_t> before = worker_pids();
  stopwatch watch;
  std::vector<mp::future<int>> futures;
  for (int i = 0; i < 300; ++i) {
    futures.push_back(
        workers.submit(mp::task_options{.timeout = timeout}, echo, i));
  }
  for (auto& f : futures) EXPECT_THROW(f.get(), mp::timeout_error);
  EXPECT_LT(watch.elapsed(), late_bound(2000ms));
  // No worker was killed and replaced for them.
  EXPECT_EQ(worker_pids(), before);
  EXPECT_EQ(workers.apply(echo, 5), 5);
}

}  // namespace

TEST(PoolTimeout, ZeroIsATimeoutWithoutChurn) { expect_all_time_out(0ns); }

TEST(PoolTimeout, OneNanosecondIsATimeoutWithoutChurn) {
  expect_all_time_out(1ns);
}

TEST(PoolTimeout, NegativeIsATimeout) {
  mp::pool workers(with_processes(1));
  EXPECT_THROW(workers.submit(mp::task_options{.timeout = -5s}, echo, 1).get(),
               mp::timeout_error);
}

TEST(PoolTimeout, MaxIsNoLimit) {
  mp::pool workers(with_processes(1));
  auto f = workers.submit(
      mp::task_options{.timeout = std::chrono::nanoseconds::max()}, sleep_ms,
      50);
  EXPECT_EQ(f.get(), 50);
  mp::pool_options options = with_processes(1);
  options.task_timeout = std::chrono::nanoseconds::max();
  options.kill_grace = std::chrono::nanoseconds::max();
  mp::pool defaults(std::move(options));
  EXPECT_EQ(defaults.apply(sleep_ms, 50), 50);
  EXPECT_EQ(defaults.map(sleep_ms, std::vector{1, 2, 3}),
            (std::vector{1, 2, 3}));
}

TEST(PoolTimeout, HugeKillGraceStillTerminates) {
  mp::pool_options options = with_processes(1);
  options.kill_grace = std::chrono::nanoseconds::max();
  mp::pool workers(std::move(options));
  auto f = workers.submit(sleep_ms, 60'000);
  std::this_thread::sleep_for(100ms);
  stopwatch watch;
  workers.terminate();  // SIGTERM ends the sleeping worker
  workers.join();
  EXPECT_LT(watch.elapsed(), late_bound(1000ms));
  EXPECT_THROW(f.get(), mp::cancelled_error);
}

TEST(PoolTimeout, ATaskThatFinishesLateIsATimeout) {
  // 20 ms of work under a 1 ms timeout: whichever side notices first, the
  // outcome is timeout_error.
  mp::pool workers(with_processes(1));
  for (int i = 0; i < 5; ++i) {
    EXPECT_THROW(
        workers.submit(mp::task_options{.timeout = 1ms}, sleep_ms, 20).get(),
        mp::timeout_error);
  }
  EXPECT_EQ(workers.submit(mp::task_options{.timeout = 10s}, sleep_ms, 1).get(),
            1);
}

TEST(PoolTimeout, HungTaskIsStillKilledAtItsTimeout) {
  mp::pool workers(with_processes(1));
  stopwatch watch;
  EXPECT_THROW(
      workers.submit(mp::task_options{.timeout = 200ms}, sleep_ms, 60'000)
          .get(),
      mp::timeout_error);
  EXPECT_GE(watch.elapsed(), 190ms);
  EXPECT_LT(watch.elapsed(), late_bound(200ms));
  EXPECT_EQ(workers.apply(echo, 3), 3);
}
