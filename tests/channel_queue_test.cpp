// mp::queue in one process and between a parent and its children: order,
// counts, capacity, timeouts, messages, close and shutdown.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;
using mp::testing::late_bound;
using mp::testing::stopwatch;

namespace {

std::vector<std::byte> pattern(std::size_t size, std::uint8_t seed) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i < size; ++i) {
    bytes[i] = static_cast<std::byte>((i * 131 + seed) & 0xff);
  }
  return bytes;
}

TEST(ChannelQueue, ItemsComeOutInOrderAcrossManyLaps) {
  // 16,000 items through a ring of 8,192 slots, two puts for each get
  // until the end (at most 8,000 held): the ring wraps twice.
  mp::queue<std::int64_t> q;
  std::int64_t next_out = 0;
  for (std::int64_t i = 0; i < 16000; ++i) {
    q.put(i);
    if (i % 2 == 1) {
      EXPECT_EQ(q.get(), next_out++);
    }
  }
  EXPECT_EQ(q.qsize(), static_cast<std::size_t>(16000 - next_out));
  while (next_out < 16000) EXPECT_EQ(q.get(), next_out++);
  EXPECT_TRUE(q.empty());
}

TEST(ChannelQueue, RingOfMaxsizeWrapsManyTimes) {
  mp::queue<std::int64_t> q(5);
  for (std::int64_t i = 0; i < 1000; ++i) {
    q.put(i);
    q.put(-i);
    EXPECT_EQ(q.get(), i);
    EXPECT_EQ(q.get(), -i);
  }
}

TEST(ChannelQueue, FifoOfStringsAndCountsAreExact) {
  mp::queue<std::string> q;
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.qsize(), 0u);
  for (int i = 0; i < 100; ++i) q.put("item " + std::to_string(i));
  EXPECT_EQ(q.qsize(), 100u);
  EXPECT_FALSE(q.empty());
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(q.get(), "item " + std::to_string(i));
    EXPECT_EQ(q.qsize(), static_cast<std::size_t>(99 - i));
  }
  EXPECT_TRUE(q.empty());
}

TEST(ChannelQueue, MaxsizeBoundsPutsAndFull) {
  mp::queue<int> q(3);
  EXPECT_FALSE(q.full());
  EXPECT_TRUE(q.put_nowait(1));
  EXPECT_TRUE(q.put_nowait(2));
  EXPECT_TRUE(q.put_nowait(3));
  EXPECT_TRUE(q.full());
  EXPECT_FALSE(q.put_nowait(4));
  stopwatch clock;
  EXPECT_FALSE(q.put(4, 100ms));
  EXPECT_GE(clock.elapsed(), 100ms);
  EXPECT_LT(clock.elapsed(), late_bound(100ms));
  EXPECT_EQ(q.get_nowait(), 1);
  EXPECT_FALSE(q.full());
  EXPECT_TRUE(q.put_nowait(4));
  EXPECT_EQ(q.get(), 2);
  EXPECT_EQ(q.get(), 3);
  EXPECT_EQ(q.get(), 4);
  EXPECT_EQ(q.get_nowait(), std::nullopt);
}

TEST(ChannelQueue, GetTimesOutEmptyAndDeadlinesOfAnyClock) {
  mp::queue<int> q;
  stopwatch clock;
  EXPECT_EQ(q.get(80ms), std::nullopt);
  EXPECT_GE(clock.elapsed(), 80ms);
  EXPECT_EQ(q.get(0s), std::nullopt);
  EXPECT_EQ(q.get(-5s), std::nullopt);
  EXPECT_EQ(q.get_until(std::chrono::system_clock::now() + 30ms), std::nullopt);
  q.put(7);
  EXPECT_EQ(q.get_until(std::chrono::steady_clock::now() + 1s), 7);
  EXPECT_TRUE(q.put_until(8, std::chrono::system_clock::now() + 1s));
  EXPECT_EQ(q.get(1h), 8);
}

TEST(ChannelQueue, ItemAboveMaxBytesIsLengthErrorAndQueuesNothing) {
  mp::queue<std::vector<std::byte>> q(mp::queue_options{.max_bytes = 1000});
  try {
    q.put(std::vector<std::byte>(2000));
    FAIL() << "no length_error";
  } catch (const std::length_error& e) {
    EXPECT_STREQ(e.what(),
                 "item of 2008 bytes is larger than max_bytes (1000)");
  }
  EXPECT_EQ(q.qsize(), 0u);
  q.put(std::vector<std::byte>(900));
  EXPECT_TRUE(q.full() == false);
  // The bytes held bound puts: a second 900-byte item does not fit.
  EXPECT_FALSE(q.put_nowait(std::vector<std::byte>(900)));
  EXPECT_EQ(q.get().size(), 900u);
  EXPECT_TRUE(q.put_nowait(std::vector<std::byte>(900)));
}

TEST(ChannelQueue, LargeItemsTravelWhole) {
  mp::queue<std::vector<std::byte>> q;
  for (std::uint8_t seed = 0; seed < 6; ++seed) {
    q.put(pattern((std::size_t{1} << 20) + seed * 4099, seed));
  }
  for (std::uint8_t seed = 0; seed < 6; ++seed) {
    EXPECT_EQ(q.get(), pattern((std::size_t{1} << 20) + seed * 4099, seed));
  }
}

TEST(ChannelQueue, MutationAfterPutIsInvisible) {
  mp::queue<std::vector<int>> q;
  std::vector<int> v{1, 2, 3};
  q.put(v);
  v[0] = 99;
  EXPECT_EQ(q.get(), (std::vector<int>{1, 2, 3}));
}

struct throws_on_encode {
  int value = 0;
};

}  // namespace

template <>
struct multiproc::codec<throws_on_encode> {
  static void encode(multiproc::encoder& out, const throws_on_encode& v) {
    if (v.value < 0) throw std::invalid_argument("cannot encode");
    out.write(v.value);
  }
  static throws_on_encode decode(multiproc::decoder& in) {
    const int v = in.read<int>();
    if (v == 13) throw multiproc::codec_error("unlucky");
    return {v};
  }
};

namespace {

TEST(ChannelQueue, CodecErrorsLeaveTheQueueUsable) {
  mp::queue<throws_on_encode> q;
  EXPECT_THROW(q.put({-1}), std::invalid_argument);
  EXPECT_EQ(q.qsize(), 0u);
  q.put({13});
  q.put({14});
  EXPECT_THROW(q.get(), mp::codec_error);  // consumed
  EXPECT_EQ(q.get().value, 14);
}

TEST(ChannelQueue, ClosedQueueSaysSoInPythonsWords) {
  mp::queue<int> q;
  q.put(1);
  q.close();
  q.close();  // idempotent
  try {
    q.put(2);
    FAIL();
  } catch (const mp::usage_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(what.rfind("Queue <multiproc::queue object at 0x", 0), 0u)
        << what;
    EXPECT_EQ(what.substr(what.size() - 11), "> is closed");
  }
  EXPECT_THROW(q.get(), mp::usage_error);
  EXPECT_EQ(q.qsize(), 1u);  // still answers; nothing lost
}

TEST(ChannelQueue, ShutdownDrainsThenSaysShutDown) {
  mp::queue<int> q;
  q.put(1);
  q.put(2);
  q.shutdown();
  try {
    q.put(3);
    FAIL();
  } catch (const mp::broken_pipe_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("queue shut down", 0), 0u);
    EXPECT_EQ(e.code(), std::errc::broken_pipe);
  }
  EXPECT_EQ(q.get(), 1);
  EXPECT_EQ(q.get(), 2);
  try {
    (void)q.get();
    FAIL();
  } catch (const mp::eof_error& e) {
    EXPECT_STREQ(e.what(), "queue shut down");
  }
}

TEST(ChannelQueue, ShutdownImmediateDiscardsAndWakesAWaiter) {
  mp::queue<int> q(1);
  q.put(1);
  std::thread putter(
      [q]() mutable { EXPECT_THROW(q.put(2), mp::broken_pipe_error); });
  std::this_thread::sleep_for(50ms);
  q.shutdown(true);
  putter.join();
  EXPECT_EQ(q.qsize(), 0u);
  EXPECT_THROW((void)q.get_nowait(), mp::eof_error);
}

// A putter waiting for room when shutdown(immediate=True) makes some: the
// room must not take its item (stop 21's CI failure). Tried many times, the
// shutdown landing at different points of the putter's spin and sleep.
TEST(ChannelQueue, ShutdownImmediateLeavesNothingWhateverAPutterIsDoing) {
  for (int round = 0; round < 300; ++round) {
    mp::queue<int> q(1);
    q.put(1);
    std::atomic<bool> started{false};
    std::thread putter([q, &started]() mutable {
      started = true;
      try {
        q.put(2);  // landed before the shutdown: discarded with the rest
      } catch (const mp::broken_pipe_error&) {
      }
    });
    while (!started) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::microseconds(round % 40));
    q.shutdown(true);
    putter.join();
    ASSERT_EQ(q.qsize(), 0u) << "round " << round;
    ASSERT_THROW((void)q.get_nowait(), mp::eof_error) << "round " << round;
  }
}

TEST(ChannelQueue, ThreadsShareOneQueue) {
  mp::queue<std::int64_t> q(64);
  constexpr int kPerThread = 16000;
  std::vector<std::thread> producers;
  for (int t = 0; t < 3; ++t) {
    producers.emplace_back([q, t]() mutable {
      for (int i = 0; i < kPerThread; ++i)
        q.put(std::int64_t{t} * kPerThread + i);
    });
  }
  std::vector<int> seen(3 * kPerThread);
  std::vector<std::int64_t> last(3, -1);
  for (int n = 0; n < 3 * kPerThread; ++n) {
    const std::int64_t v = q.get();
    ++seen[static_cast<std::size_t>(v)];
    const auto t = static_cast<std::size_t>(v / kPerThread);
    EXPECT_GT(v, last[t]);  // each producer's items in its order
    last[t] = v;
  }
  for (auto& p : producers) p.join();
  for (int c : seen) ASSERT_EQ(c, 1);
  EXPECT_TRUE(q.empty());
}

}  // namespace
