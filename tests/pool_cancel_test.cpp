// cancel() on pool futures: true means get() throws cancelled_error, always,
// even when results arrive while several threads cancel (issue 9, bug 2).
#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>
#include <thread>
#include <vector>

#include "support/child_io.hpp"

namespace mp = multiproc;

namespace {

using multiproc::testing::with_processes;

int echo(int x) { return x; }

}  // namespace

TEST(PoolCancel, TrueMeansCancelledWhileResultsArrive) {
  mp::pool workers(with_processes(2));
  constexpr int kRounds = 20;
  constexpr int kTasks = 400;
  constexpr int kThreads = 4;
  std::size_t cancelled = 0;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<mp::future<int>> futures;
    futures.reserve(kTasks);
    for (int i = 0; i < kTasks; ++i) futures.push_back(workers.submit(echo, i));
    // Each thread cancels every kThreads-th future, racing the results.
    std::vector<char> said_cancelled(kTasks, 0);
    std::vector<std::thread> cancellers;
    for (int t = 0; t < kThreads; ++t) {
      cancellers.emplace_back([&, t] {
        for (int i = t; i < kTasks; i += kThreads) {
          said_cancelled[static_cast<std::size_t>(i)] =
              futures[static_cast<std::size_t>(i)].cancel() ? 1 : 0;
        }
      });
    }
    for (auto& thread : cancellers) thread.join();
    for (int i = 0; i < kTasks; ++i) {
      auto& f = futures[static_cast<std::size_t>(i)];
      if (said_cancelled[static_cast<std::size_t>(i)] != 0) {
        ++cancelled;
        EXPECT_THROW(f.get(), mp::cancelled_error)
            << "cancel() returned true for task " << i << " of round " << round;
      } else {
        EXPECT_EQ(f.get(), i);
      }
    }
  }
  // Both outcomes happen, or the test raced nothing.
  EXPECT_GT(cancelled, 0U);
  EXPECT_LT(cancelled, std::size_t{kRounds} * kTasks);
}

TEST(PoolCancel, SecondCancelIsFalse) {
  mp::pool workers(with_processes(1));
  auto blocker = workers.submit([] { ::usleep(200'000); });
  auto f = workers.submit(echo, 1);
  EXPECT_TRUE(f.cancel());
  EXPECT_FALSE(f.cancel());
  EXPECT_THROW(f.get(), mp::cancelled_error);
  blocker.get();
}
