// joinable_queue (task_done, join, lost tasks) and simple_queue.
#include <gtest/gtest.h>

#include <chrono>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>

#include "support/child_io.hpp"
#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;
using mp::testing::late_bound;
using mp::testing::stopwatch;

namespace {

TEST(ChannelJoinable, JoinWaitsForEveryTaskDone) {
  mp::joinable_queue<int> q;
  EXPECT_TRUE(q.join(0s));  // nothing put
  for (int i = 0; i < 5; ++i) q.put(i);
  EXPECT_FALSE(q.join(50ms));
  mp::process worker([q]() mutable {
    for (int i = 0; i < 5; ++i) {
      (void)q.get();
      std::this_thread::sleep_for(10ms);
      q.task_done();
    }
  });
  worker.start();
  q.join();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.lost_tasks(), 0u);
  worker.join();
  EXPECT_EQ(worker.exitcode(), 0);
}

TEST(ChannelJoinable, GotButNotDoneCountsUntilTaskDone) {
  mp::joinable_queue<int> q;
  q.put(1);
  EXPECT_EQ(q.get(), 1);
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(q.join(30ms));  // got, not done
  q.task_done();
  EXPECT_TRUE(q.join(0s));
}

TEST(ChannelJoinable, TaskDoneTooOftenIsPythonsMessage) {
  mp::joinable_queue<int> q;
  try {
    q.task_done();
    FAIL();
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(), "task_done() called too many times");
  }
  q.put(1);
  (void)q.get();
  q.task_done();
  EXPECT_THROW(q.task_done(), mp::usage_error);
}

TEST(ChannelJoinable, WorkerThatEndsWithoutTaskDoneLosesItsTask) {
  mp::joinable_queue<int> q;
  q.put(1);
  mp::process worker([q]() mutable { (void)q.get(); });
  worker.start();
  worker.join();
  EXPECT_TRUE(q.join(late_bound(100ms)));
  EXPECT_EQ(q.lost_tasks(), 1u);
}

TEST(ChannelJoinable, AnotherProcessMayFinishWhatALiveWorkerGot) {
  mp::joinable_queue<int> q;
  q.put(1);
  mp::testing::pipe_pair got;
  mp::testing::pipe_pair release;
  mp::process worker([q, &got, &release]() mutable {
    got.close_read();
    release.close_write();
    (void)q.get();
    mp::testing::write_all(got.write_end(), "got\n");
    mp::testing::block_until_released(release.read_end());
  });
  worker.start();
  got.close_write();
  release.close_read();
  ASSERT_EQ(mp::testing::read_line(got.read_end()).value_or(""), "got");
  EXPECT_FALSE(q.join(20ms));
  q.task_done();  // settles the worker's item (this process got none)
  EXPECT_TRUE(q.join(0s));
  EXPECT_THROW(q.task_done(), mp::usage_error);
  release.close_write();
  worker.join();
  EXPECT_EQ(q.lost_tasks(), 0u);
}

TEST(ChannelJoinable, KilledWorkerLosesItsTasksAndJoinReturnsPromptly) {
  mp::joinable_queue<int> q;
  q.put(1);
  q.put(2);
  mp::testing::pipe_pair got;
  mp::process worker([q, &got]() mutable {
    got.close_read();
    (void)q.get();
    (void)q.get();
    mp::testing::write_all(got.write_end(), "got\n");
    for (;;) std::this_thread::sleep_for(1s);
  });
  worker.start();
  got.close_write();
  ASSERT_EQ(mp::testing::read_line(got.read_end()).value_or(""), "got");
  std::thread killer([&] {
    std::this_thread::sleep_for(100ms);
    worker.kill();
  });
  stopwatch clock;
  q.join();
  EXPECT_GE(clock.elapsed(), 100ms);
  EXPECT_LT(clock.elapsed(), late_bound(200ms));
  EXPECT_EQ(q.lost_tasks(), 2u);
  killer.join();
  worker.join();
}

TEST(ChannelJoinable, JoinWithItemsAndNoConsumerIsBrokenPipe) {
  mp::joinable_queue<int> q;
  q.put(1);  // this process counts as a consumer until another holds it
  mp::process other([q]() mutable { q.put(2); });
  other.start();
  other.join();
  // Now shared: this process put only, so nobody counts on the get side.
  try {
    q.join();
    FAIL();
  } catch (const mp::broken_pipe_error& e) {
    EXPECT_EQ(std::string(e.what()).rfind("all consumers gone", 0), 0u);
  }
}

TEST(ChannelJoinable, ClosedMessageNamesTheJoinableQueue) {
  mp::joinable_queue<int> q;
  q.close();
  try {
    q.put(1);
    FAIL();
  } catch (const mp::usage_error& e) {
    const std::string what = e.what();
    EXPECT_EQ(
        what.rfind("JoinableQueue <multiproc::joinable_queue object at 0x", 0),
        0u)
        << what;
  }
}

TEST(ChannelJoinable, ShutdownImmediateFinishesWhatItDiscards) {
  mp::joinable_queue<int> q;
  q.put(1);
  q.put(2);
  q.shutdown(true);
  EXPECT_TRUE(q.join(0s));
}

TEST(ChannelSimpleQueue, PutGetEmptyAndHandleIsClosed) {
  mp::simple_queue<std::string> q;
  EXPECT_TRUE(q.empty());
  mp::process child([q]() mutable { q.put("from the child"); });
  child.start();
  EXPECT_EQ(q.get(), "from the child");
  child.join();
  EXPECT_TRUE(q.empty());
  // The child, the only other producer, has ended: EOF rather than a hang.
  EXPECT_THROW((void)q.get(), mp::eof_error);
  q.close();
  try {
    (void)q.empty();
    FAIL();
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(), "handle is closed");
  }
  EXPECT_THROW(q.put("x"), mp::usage_error);
}

}  // namespace
