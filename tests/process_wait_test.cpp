// multiproc::wait: Python's connection.wait on sentinels. Spec §7 cases
// 31–33 (adapted: the objects are processes, not connections or sockets).
#include <gtest/gtest.h>
#include <signal.h>

#include <multiproc/multiproc.hpp>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/leak_guard.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

std::chrono::milliseconds slack_bound(std::chrono::milliseconds expected) {
  return mpt::late_bound(expected) +
         std::chrono::milliseconds(static_cast<long>(3000 * mpt::slowdown()));
}

mp::process sleeper() {
  return mp::process([] { std::this_thread::sleep_for(100s); });
}

// spec §7 case 31: nothing ends → [] after the timeout; then one ends →
// exactly that one.
TEST(ProcessWait, TimeoutWithNothingEndedThenOnlyTheEndedOne) {
  std::vector<mp::process> both{sleeper(), sleeper()};
  mpt::kill_on_exit guard(both);
  for (auto& p : both) p.start();
  mpt::stopwatch clock;
  EXPECT_TRUE(mp::wait(both, 500ms).empty());
  EXPECT_GE(clock.elapsed(), 500ms);
  EXPECT_LT(clock.elapsed(), slack_bound(500ms));
  both[1].kill();
  auto ended = mp::wait(both, 20s);
  ASSERT_EQ(ended.size(), 1U);
  EXPECT_EQ(ended[0].state(), both[1].state());
  both[0].kill();
  for (auto& p : both) p.join();
}

// spec §7 case 32. Adapted: three processes instead of two connections and a
// sentinel: only the one that ends (after ~1 s) is returned; then a second;
// then all three.
TEST(ProcessWait, ReturnsExactlyTheProcessesThatHaveEnded) {
  std::vector<mp::process> three{
      sleeper(), mp::process([] { std::this_thread::sleep_for(1s); }),
      sleeper()};
  mpt::kill_on_exit guard(three);
  for (auto& p : three) p.start();
  mpt::stopwatch clock;
  auto first = mp::wait(three, 60s);
  ASSERT_EQ(first.size(), 1U);
  EXPECT_EQ(first[0].state(), three[1].state());
  EXPECT_GE(clock.elapsed(), 900ms);
  three[0].kill();
  ASSERT_TRUE(three[0].join(60s));  // ended, so wait() reports it at once
  EXPECT_EQ(mp::wait(three, 60s).size(), 2U);
  three[2].kill();
  three[2].join();
  EXPECT_EQ(mp::wait(three).size(), 3U);
}

// spec §7 case 33: a negative timeout polls once and returns [] at once.
TEST(ProcessWait, NegativeTimeoutPollsOnce) {
  std::vector<mp::process> one{sleeper()};
  mpt::kill_on_exit guard(one);
  one[0].start();
  mpt::stopwatch clock;
  EXPECT_TRUE(mp::wait(one, -1s).empty());
  EXPECT_TRUE(mp::wait(one, 0s).empty());
  EXPECT_LT(clock.elapsed(), slack_bound(0ms));
  one[0].kill();
  one[0].join();
}

// wait() reports an ended child without reaping it (Python's sentinel).
TEST(ProcessWait, DoesNotReap) {
  std::vector<mp::process> one{mp::process([] { mp::exit(6); })};
  one[0].start();
  ASSERT_EQ(mp::wait(one).size(), 1U);
  EXPECT_EQ(mpt::find_zombie_child(), *one[0].pid());
  one[0].join();
  EXPECT_EQ(one[0].exitcode(), 6);
}

// An empty list with a timeout sleeps for it (Python does the same).
TEST(ProcessWait, EmptyListWithTimeoutWaitsTheTimeout) {
  std::vector<mp::process> none;
  mpt::stopwatch clock;
  EXPECT_TRUE(mp::wait(none, 200ms).empty());
  EXPECT_GE(clock.elapsed(), 200ms);
  EXPECT_TRUE(mp::wait(none).empty());  // would block forever: returns
}

// Unstarted processes have no sentinel to wait on.
TEST(ProcessWait, UnstartedProcessThrows) {
  std::vector<mp::process> one{mp::process()};
  try {
    (void)mp::wait(one, 0s);
    ADD_FAILURE() << "wait() on an unstarted process did not throw";
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(), "process not started");
  }
}

}  // namespace
