// mp::queue between processes: a producer may end right after put(), and
// a peer that is gone is reported by the sides rule, never waited on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>

#include "support/child_io.hpp"
#include "support/leak_guard.hpp"
#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;
using mp::testing::late_bound;
using mp::testing::stopwatch;

namespace {

TEST(ChannelQueuePeers, ProducerThatEndsRightAfterPutLeavesEveryItem) {
  mp::queue<std::string> q;
  mp::process producer([q]() mutable {
    for (int i = 0; i < 1000; ++i) q.put("item " + std::to_string(i));
    ::_exit(0);  // no destructors, no flush: the items are already there
  });
  producer.start();
  producer.join();  // never waits for a reader
  EXPECT_EQ(producer.exitcode(), 0);
  EXPECT_EQ(q.qsize(), 1000u);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(q.get(), "item " + std::to_string(i));
  // The only producer has ended and this process only got: EOF, at once.
  stopwatch clock;
  try {
    (void)q.get();
    FAIL() << "no eof_error";
  } catch (const mp::eof_error& e) {
    EXPECT_STREQ(e.what(), "all producers gone");
  }
  EXPECT_LT(clock.elapsed(), late_bound(0ms));
  EXPECT_THROW((void)q.get_nowait(), mp::eof_error);
  EXPECT_THROW((void)q.get(1s), mp::eof_error);
}

TEST(ChannelQueuePeers, BlockedGetSeesTheLastProducerDiePromptly) {
  mp::queue<int> q;
  mp::testing::pipe_pair release;
  mp::process producer([q, &release]() mutable {
    release.close_write();
    mp::testing::block_until_released(release.read_end());
    (void)q;  // holds it, never uses it: counts as a producer
  });
  producer.start();
  release.close_read();
  std::thread killer([&] {
    std::this_thread::sleep_for(100ms);
    producer.kill();
  });
  stopwatch clock;
  EXPECT_THROW((void)q.get(), mp::eof_error);
  EXPECT_GE(clock.elapsed(), 100ms);
  EXPECT_LT(clock.elapsed(), late_bound(200ms));
  killer.join();
  producer.join();
}

TEST(ChannelQueuePeers, TheParentsUnusedCopyCountsUntilItCloses) {
  mp::queue<int> q;
  mp::process consumer([q]() mutable {
    try {
      (void)q.get();
      mp::exit(1);
    } catch (const mp::eof_error&) {
      mp::exit(7);
    }
  });
  consumer.start();
  // The parent never used the queue: it counts as a producer, so the
  // consumer waits.
  EXPECT_FALSE(consumer.join(300ms));
  stopwatch clock;
  q.close();
  ASSERT_TRUE(consumer.join(late_bound(100ms)));
  EXPECT_EQ(consumer.exitcode(), 7);
}

TEST(ChannelQueuePeers, APutThatWouldWaitWithNoConsumerIsBrokenPipe) {
  mp::queue<int> q(1);
  q.put(1);  // before any child: the parent counts on both sides
  mp::process consumer([q]() mutable { EXPECT_EQ(q.get(), 1); });
  consumer.start();
  consumer.join();
  ASSERT_EQ(consumer.exitcode(), 0);
  q.put(2);  // room: succeeds, the item waits for a consumer yet to come
  try {
    q.put(3);
    FAIL() << "no broken_pipe_error";
  } catch (const mp::broken_pipe_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("all consumers gone", 0), 0u)
        << e.what();
    EXPECT_EQ(e.code(), std::errc::broken_pipe);
  }
  EXPECT_THROW((void)q.put_nowait(3), mp::broken_pipe_error);
  // A new holder revives it.
  mp::process again([q]() mutable { EXPECT_EQ(q.get(), 2); });
  again.start();
  EXPECT_TRUE(q.put(3, late_bound(1000ms)));
  again.join();
  EXPECT_EQ(again.exitcode(), 0);
}

TEST(ChannelQueuePeers, BlockedPutSeesTheLastConsumerDiePromptly) {
  mp::queue<int> q(1);
  mp::testing::pipe_pair release;
  mp::process consumer([q, &release]() mutable {
    release.close_write();
    (void)q.get();
    mp::testing::block_until_released(release.read_end());
  });
  consumer.start();
  release.close_read();
  q.put(1);
  q.put(2);  // the consumer took 1 (or will): room for 2
  std::thread killer([&] {
    std::this_thread::sleep_for(150ms);
    consumer.kill();
  });
  stopwatch clock;
  EXPECT_THROW(q.put(3), mp::broken_pipe_error);
  EXPECT_GE(clock.elapsed(), 100ms);
  EXPECT_LT(clock.elapsed(), late_bound(250ms));
  killer.join();
  consumer.join();
}

TEST(ChannelQueuePeers, ManyProducersAndConsumersDeliverEachItemOnce) {
  constexpr int kProducers = 3;
  constexpr int kConsumers = 3;
  constexpr int kItems = 3000;
  struct tally {
    std::atomic<int> seen[kProducers * kItems];
  };
  mp::testing::shared<tally> t;
  mp::queue<std::int64_t> q(100);
  std::vector<mp::process> children;
  for (int p = 0; p < kProducers; ++p) {
    children.emplace_back([q, p]() mutable {
      for (int i = 0; i < kItems; ++i) q.put(std::int64_t{p} * kItems + i);
    });
  }
  for (int c = 0; c < kConsumers; ++c) {
    children.emplace_back([q, &t]() mutable {
      try {
        for (;;) t->seen[q.get()].fetch_add(1);
      } catch (const mp::eof_error&) {
      }
    });
  }
  for (auto& child : children) child.start();
  q.close();  // the orchestrating parent stops counting
  for (auto& child : children) {
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  for (auto& s : t->seen) ASSERT_EQ(s.load(), 1);
}

int dev_shm_entries() {
  int n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/dev/shm")) {
    ++n;
  }
  return n;
}

TEST(ChannelQueuePeers, QueuesNameNothingAndKeepNoDescriptor) {
  const int shm_before = dev_shm_entries();
  const int fds_before = mp::testing::open_fd_count();
  {
    std::vector<mp::queue<std::string>> queues;
    for (int i = 0; i < 200; ++i) {
      queues.emplace_back(mp::queue_options{.max_bytes = std::size_t{1} << 24});
      queues.back().put(std::string(100000, 'x'));  // a large item too
    }
    EXPECT_EQ(mp::testing::open_fd_count(), fds_before);
    EXPECT_EQ(dev_shm_entries(), shm_before);
    mp::process child([queues]() mutable {
      for (auto& q : queues) {
        if (q.get().size() != 100000) mp::exit(1);
      }
    });
    child.start();
    child.join();
    EXPECT_EQ(child.exitcode(), 0);
  }
  EXPECT_EQ(mp::testing::open_fd_count(), fds_before);
  EXPECT_EQ(dev_shm_entries(), shm_before);
}

}  // namespace
