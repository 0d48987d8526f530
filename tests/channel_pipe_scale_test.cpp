// mp::pipe at scale: many processes on one end never interleave or lose a
// message, and 10,000 pipes with default options fit (API.md Part 4,
// "Resources and limits": at most one file descriptor each).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdint>
#include <multiproc/multiproc.hpp>
#include <vector>

#include "support/child_io.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

TEST(ChannelPipeScale, ProcessesSharingBothEndsDeliverEveryMessageOnce) {
  constexpr int kSenders = 3;
  constexpr int kReceivers = 3;
  constexpr std::int64_t kEach = 20000;
  auto [in, out] = mp::pipe<std::int64_t>(false);
  struct tally {
    std::atomic<std::int64_t> sum{0};
    std::atomic<std::int64_t> count{0};
  };
  mp::testing::shared<tally> t;
  std::vector<mp::process> children;
  for (int s = 0; s < kSenders; ++s) {
    children.emplace_back([out, s]() mutable {
      for (std::int64_t i = 0; i < kEach; ++i) out.send(s * kEach + i);
    });
  }
  for (int r = 0; r < kReceivers; ++r) {
    children.emplace_back([in, &t]() mutable {
      try {
        for (;;) {
          const std::int64_t v = in.recv();
          t->sum.fetch_add(v);
          t->count.fetch_add(1);
        }
      } catch (const mp::eof_error&) {
      }
    });
  }
  for (auto& c : children) c.start();
  mp::testing::kill_on_exit guard{children};
  // The parent is only the orchestrator: it lets go of both ends.
  in.close();
  out.close();
  for (auto& c : children) {
    ASSERT_TRUE(c.join(60s));
    EXPECT_EQ(c.exitcode(), 0);
  }
  const std::int64_t n = kSenders * kEach;
  EXPECT_EQ(t->count.load(), n);
  EXPECT_EQ(t->sum.load(), n * (n - 1) / 2);
}

TEST(ChannelPipeScale, TenThousandPipesFit) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers shadow the address space 10,000 pipes reserve";
#else
  rlimit limit{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
  if (limit.rlim_cur < 10'100) {
    GTEST_SKIP() << "RLIMIT_NOFILE " << limit.rlim_cur << " is below 10,100";
  }
  std::vector<std::pair<mp::connection<int>, mp::connection<int> > > pipes;
  pipes.reserve(10'000);
  for (int i = 0; i < 10'000; ++i) pipes.push_back(mp::pipe<int>());
  pipes.back().first.send(1);
  EXPECT_EQ(pipes.back().second.recv(), 1);
#endif
}

}  // namespace
