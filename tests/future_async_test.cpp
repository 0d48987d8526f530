// async(), call() and future<R>: values, void, waits, names, many futures
// in flight, large results.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <future>
#include <map>
#include <memory>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/timing.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

int add(int a, int b) { return a + b; }

}  // namespace

TEST(FutureAsync, ReturnsTheChildsValue) {
  mp::future<int> f = mp::async(add, 2, 40);
  EXPECT_TRUE(f.valid());
  EXPECT_EQ(f.get(), 42);
  EXPECT_FALSE(f.valid());
}

TEST(FutureAsync, ComputesInAnotherProcess) {
  const pid_t parent = ::getpid();
  EXPECT_NE(mp::call([] { return ::getpid(); }), parent);
  EXPECT_EQ(mp::call([] { return ::getppid(); }), parent);
}

TEST(FutureAsync, CallIsAsyncThenGet) {
  EXPECT_EQ(
      mp::call([](const std::string& s) { return s + "!"; }, std::string("hi")),
      "hi!");
}

TEST(FutureAsync, VoidResult) {
  mp::future<void> f = mp::async([] {});
  f.get();
  EXPECT_FALSE(f.valid());
  mp::call([](int) {}, 1);
}

TEST(FutureAsync, ArgumentsAndCapturesReachTheChildByFork) {
  // A move-only argument and a capture by reference: nothing serialized.
  std::vector<int> big(1000, 3);
  auto f = mp::async([&big](std::unique_ptr<int> p) { return *p + big[999]; },
                     std::make_unique<int>(4));
  EXPECT_EQ(f.get(), 7);
}

TEST(FutureAsync, ChildChangesDoNotReachTheParent) {
  int counter = 1;
  EXPECT_EQ(mp::call([&counter] { return ++counter; }), 2);
  EXPECT_EQ(counter, 1);
}

TEST(FutureAsync, ReferenceResultIsSentAsValue) {
  static std::string stored = "kept";
  auto f = mp::async([]() -> const std::string& { return stored; });
  static_assert(std::is_same_v<decltype(f), mp::future<std::string>>);
  EXPECT_EQ(f.get(), "kept");
}

TEST(FutureAsync, OptionsNameTheChild) {
  auto f = mp::async({.name = "worker-7", .timeout = {}},
                     [] { return mp::current_process().name(); });
  EXPECT_EQ(f.process().name(), "worker-7");
  EXPECT_EQ(f.get(), "worker-7");
}

TEST(FutureAsync, DefaultNameIsPythonStyle) {
  auto f = mp::async([] { return mp::current_process().name(); });
  const std::string name = f.process().name();
  EXPECT_EQ(name.rfind("Process-", 0), 0u) << name;
  EXPECT_EQ(f.get(), name);
}

TEST(FutureAsync, WaitForTimesOutThenBecomesReady) {
  auto f = mp::async([] {
    std::this_thread::sleep_for(300ms);
    return 5;
  });
  EXPECT_EQ(f.wait_for(10ms), std::future_status::timeout);
  EXPECT_EQ(f.wait_for(0s), std::future_status::timeout);
  EXPECT_EQ(f.wait_for(mp::testing::late_bound(300ms)),
            std::future_status::ready);
  EXPECT_EQ(f.get(), 5);
}

TEST(FutureAsync, WaitUntilOnAnyClock) {
  auto f = mp::async([] {
    std::this_thread::sleep_for(100ms);
    return 1;
  });
  EXPECT_EQ(f.wait_until(std::chrono::system_clock::now() + 5ms),
            std::future_status::timeout);
  EXPECT_EQ(f.wait_until(std::chrono::steady_clock::now() +
                         mp::testing::late_bound(100ms)),
            std::future_status::ready);
  f.wait();
  EXPECT_EQ(f.get(), 1);
}

// Issue 9, bug 5: wait_until(min()) of any clock returns timeout at once
// instead of waiting for the child (the system clock's `deadline - now()`
// overflowed). The child would sleep 30 s; the future's destructor kills it.
TEST(FutureAsync, WaitUntilTheEarliestTimePointReturnsAtOnce) {
  using hours_point =
      std::chrono::time_point<std::chrono::system_clock, std::chrono::hours>;
  auto f = mp::async([] {
    std::this_thread::sleep_for(30s);
    return 1;
  });
  mp::testing::stopwatch clock;
  EXPECT_EQ(f.wait_until(std::chrono::system_clock::time_point::min()),
            std::future_status::timeout);
  EXPECT_EQ(f.wait_until(hours_point::min()), std::future_status::timeout);
  EXPECT_EQ(f.wait_until(std::chrono::steady_clock::time_point::min()),
            std::future_status::timeout);
  EXPECT_LT(clock.elapsed(), std::chrono::milliseconds(static_cast<long>(
                                 2000 * mp::testing::slowdown())));
}

// max() of any clock, and the largest durations, mean "no limit": the wait
// ends when the child does, not before.
TEST(FutureAsync, LatestDeadlinesAndHugeTimeoutsWaitUntilReady) {
  using hours_point =
      std::chrono::time_point<std::chrono::system_clock, std::chrono::hours>;
  auto f = mp::async([] {
    std::this_thread::sleep_for(200ms);
    return 2;
  });
  mp::testing::stopwatch clock;
  EXPECT_EQ(f.wait_until(std::chrono::system_clock::time_point::max()),
            std::future_status::ready);
  // The child may have begun its sleep before async() returned.
  EXPECT_GE(clock.elapsed(), 150ms);
  EXPECT_EQ(f.wait_until(hours_point::max()), std::future_status::ready);
  EXPECT_EQ(f.wait_for(std::chrono::nanoseconds::max()),
            std::future_status::ready);
  EXPECT_EQ(f.wait_for(std::chrono::hours::max()), std::future_status::ready);
  EXPECT_EQ(f.get(), 2);

  auto g = mp::async([] {
    std::this_thread::sleep_for(100ms);
    return 3;
  });
  EXPECT_EQ(g.wait_for(std::chrono::nanoseconds::max()),
            std::future_status::ready);
  EXPECT_EQ(g.get(), 3);
}

TEST(FutureAsync, WaitLeavesTheResultForGet) {
  auto f = mp::async([] { return 9; });
  f.wait();
  f.wait();
  EXPECT_TRUE(f.valid());
  EXPECT_EQ(f.process().exitcode(), 0);
  EXPECT_EQ(f.get(), 9);
}

TEST(FutureAsync, InvalidFutureThrowsNoState) {
  mp::future<int> f;
  EXPECT_FALSE(f.valid());
  EXPECT_FALSE(f.cancel());
  try {
    f.get();
    FAIL();
  } catch (const std::future_error& e) {
    EXPECT_EQ(e.code(), std::future_errc::no_state);
  }
  EXPECT_THROW(f.wait(), std::future_error);
  auto g = mp::async([] { return 1; });
  EXPECT_EQ(g.get(), 1);
  EXPECT_THROW(g.get(), std::future_error);
}

TEST(FutureAsync, MoveTransfersTheChild) {
  auto f = mp::async([] { return 3; });
  mp::future<int> g = std::move(f);
  EXPECT_FALSE(f.valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(g.get(), 3);
}

TEST(FutureAsync, SixteenFuturesInFlightNeverCross) {
  std::vector<mp::future<std::vector<int>>> futures;
  for (int i = 0; i < 16; ++i) {
    futures.push_back(mp::async([i] {
      // Different sizes and finishing orders; some large enough to be
      // mapped rather than read.
      std::this_thread::sleep_for(std::chrono::milliseconds((16 - i) * 5));
      return std::vector<int>(static_cast<std::size_t>(i) * 40000 + 1, i);
    }));
  }
  for (int i = 0; i < 16; ++i) {
    std::vector<int> v = futures[static_cast<std::size_t>(i)].get();
    ASSERT_EQ(v.size(), static_cast<std::size_t>(i) * 40000 + 1);
    EXPECT_EQ(v.front(), i);
    EXPECT_EQ(v.back(), i);
  }
}

TEST(FutureAsync, FuturesFromManyThreads) {
  std::vector<std::thread> threads;
  std::vector<int> results(8, -1);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &results] {
      results[static_cast<std::size_t>(t)] = mp::call([t] { return t * t; });
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t)
    EXPECT_EQ(results[static_cast<std::size_t>(t)], t * t);
}

TEST(FutureAsync, LargeResultComesBackIntact) {
  const std::size_t size = 64u << 20;
  auto result = mp::call([size] {
    std::vector<std::byte> v(size);
    for (std::size_t i = 0; i < size; i += 4096) {
      v[i] = static_cast<std::byte>(i / 4096);
    }
    v.back() = std::byte{0x5a};
    return v;
  });
  ASSERT_EQ(result.size(), size);
  for (std::size_t i = 0; i < size; i += 4096) {
    ASSERT_EQ(result[i], static_cast<std::byte>(i / 4096));
  }
  EXPECT_EQ(result.back(), std::byte{0x5a});
}

TEST(FutureAsync, NestedTypesComeBack) {
  using nested =
      std::map<std::string, std::vector<std::pair<int, std::optional<double>>>>;
  auto value = mp::call([] {
    nested n;
    n["a"] = {{1, 1.5}, {2, std::nullopt}};
    n["b"] = {};
    return n;
  });
  ASSERT_EQ(value.size(), 2u);
  EXPECT_EQ(value["a"][0].second, 1.5);
  EXPECT_FALSE(value["a"][1].second.has_value());
}

TEST(FutureAsync, AsyncInsideAChild) {
  EXPECT_EQ(mp::call([] { return mp::call([] { return 11; }) + 1; }), 12);
}

TEST(FutureAsync, MemberFunctionPointer) {
  struct counter {
    int base;
    int plus(int n) const { return base + n; }
  };
  EXPECT_EQ(mp::call(&counter::plus, counter{5}, 6), 11);
}
