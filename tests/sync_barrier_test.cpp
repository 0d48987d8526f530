// mp::barrier (spec/ipc.md §5 rows 14-15): Python's behaviour, and a party
// that dies while waiting breaks it with party_died, never a hang.
#include <gtest/gtest.h>

#include <atomic>
#include <multiproc/multiproc.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

std::optional<mp::barrier_broken_by> cause_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const mp::broken_barrier_error& e) {
    return e.cause();
  }
  return std::nullopt;
}

TEST(SyncBarrier, PartiesMustBePositive) {
  try {
    mp::barrier b(0);
    FAIL() << "no error";
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(), "parties must be > 0");
  }
}

// §5 row 14: indices {0, 1}; the action runs once, in the tripping party.
TEST(SyncBarrier, TwoPartiesGetDistinctIndicesAndOneAction) {
  mpt::shared<std::atomic<int>> actions;
  std::atomic<int>* ran = &*actions;
  mp::barrier_options options;
  options.action = [ran] { ran->fetch_add(1); };
  mp::barrier b(2, options);
  EXPECT_EQ(b.parties(), 2);
  mpt::pipe_pair out;
  mp::process other([b, &out]() mutable {
    out.close_read();
    mpt::write_all(out.write_end(), std::to_string(b.wait()));
  });
  other.start();
  out.close_write();
  const int mine = b.wait();
  const std::string theirs = mpt::read_all(out.read_end());
  other.join();
  EXPECT_EQ(std::set<std::string>({std::to_string(mine), theirs}),
            std::set<std::string>({"0", "1"}));
  EXPECT_EQ(ran->load(), 1);
  EXPECT_FALSE(b.broken());
}

TEST(SyncBarrier, WaitUntilOnAnyClockTimesOut) {
  for (bool system : {true, false}) {
    mp::barrier b(2);
    mpt::stopwatch watch;
    EXPECT_EQ(cause_of([&] {
                if (system) {
                  (void)b.wait_until(std::chrono::system_clock::now() + 150ms);
                } else {
                  (void)b.wait_until(std::chrono::steady_clock::now() + 150ms);
                }
              }),
              mp::barrier_broken_by::timeout);
    EXPECT_GE(watch.elapsed(), 140ms);
    EXPECT_LT(watch.elapsed(), mpt::late_bound(150ms));
  }
}

TEST(SyncBarrier, TimeoutBreaksItUntilReset) {
  mp::barrier b(2);
  mpt::stopwatch watch;
  EXPECT_EQ(cause_of([&] { (void)b.wait(300ms); }),
            mp::barrier_broken_by::timeout);
  EXPECT_GE(watch.elapsed(), 300ms);
  EXPECT_TRUE(b.broken());
  EXPECT_EQ(cause_of([&] { (void)b.wait(); }), mp::barrier_broken_by::timeout);
  b.reset();
  EXPECT_FALSE(b.broken());
  try {
    (void)b.wait(10ms);
  } catch (const mp::broken_barrier_error& e) {
    EXPECT_STREQ(e.what(), "barrier broken: wait() timed out");
  }
}

TEST(SyncBarrier, AbortAndResetBreakTheWaiters) {
  mp::barrier b(3);
  std::optional<mp::barrier_broken_by> seen;
  std::thread waiter([&] { seen = cause_of([&] { (void)b.wait(); }); });
  while (b.n_waiting() < 1) std::this_thread::sleep_for(1ms);
  b.abort();
  waiter.join();
  EXPECT_EQ(seen, mp::barrier_broken_by::abort);
  EXPECT_EQ(cause_of([&] { (void)b.wait(); }), mp::barrier_broken_by::abort);
  b.reset();
  std::thread again([&] { seen = cause_of([&] { (void)b.wait(); }); });
  while (b.n_waiting() < 1) std::this_thread::sleep_for(1ms);
  b.reset();
  again.join();
  EXPECT_EQ(seen, mp::barrier_broken_by::reset);
  EXPECT_FALSE(b.broken());
}

TEST(SyncBarrier, ActionThatThrowsBreaksItForTheOthers) {
  mp::barrier_options options;
  options.action = [] { throw std::runtime_error("action failed"); };
  mp::barrier b(2, options);
  std::optional<mp::barrier_broken_by> seen;
  std::thread waiter([&] { seen = cause_of([&] { (void)b.wait(); }); });
  while (b.n_waiting() < 1) std::this_thread::sleep_for(1ms);
  EXPECT_THROW((void)b.wait(), std::runtime_error);
  waiter.join();
  EXPECT_EQ(seen, mp::barrier_broken_by::action_failed);
}

// §5 row 15: the other party SIGKILLed while waiting; the survivor's
// wait(1s) and wait() both end promptly with party_died.
TEST(SyncBarrier, PartyKilledWhileWaitingBreaksItPromptly) {
  for (bool with_timeout : {true, false}) {
    mp::barrier b(3);
    mp::process party([b]() mutable { (void)b.wait(); });
    mpt::kill_on_exit guard{party};
    party.start();
    while (b.n_waiting() < 1) std::this_thread::sleep_for(1ms);
    std::optional<mp::barrier_broken_by> seen;
    std::thread survivor([&] {
      seen = cause_of([&] {
        if (with_timeout) {
          (void)b.wait(1s);
        } else {
          (void)b.wait();
        }
      });
    });
    while (b.n_waiting() < 2) std::this_thread::sleep_for(1ms);
    mpt::stopwatch watch;
    mpt::kill_and_reap(party);
    survivor.join();
    EXPECT_EQ(seen, mp::barrier_broken_by::party_died);
    EXPECT_LT(watch.elapsed(), mpt::late_bound(100ms));
    EXPECT_TRUE(b.broken());
    EXPECT_EQ(cause_of([&] { (void)b.wait(); }),
              mp::barrier_broken_by::party_died);
  }
}

// The last arrival finds a dead party among the waiters: broken, not
// tripped.
TEST(SyncBarrier, LastArrivalAfterADeathSeesPartyDied) {
  mp::barrier b(2);
  mp::process party([b]() mutable { (void)b.wait(); });
  mpt::kill_on_exit guard{party};
  party.start();
  while (b.n_waiting() < 1) std::this_thread::sleep_for(1ms);
  mpt::kill_and_reap(party);
  EXPECT_EQ(b.n_waiting(), 0);
  EXPECT_EQ(cause_of([&] { (void)b.wait(); }),
            mp::barrier_broken_by::party_died);
}

TEST(SyncBarrier, ManyRoundsAcrossProcesses) {
  mp::barrier b(3);
  auto party = [b]() mutable {
    for (int round = 0; round < 200; ++round) (void)b.wait(10s);
  };
  mp::process one(party);
  mp::process two(party);
  one.start();
  two.start();
  party();
  one.join();
  two.join();
  EXPECT_EQ(one.exitcode(), 0);
  EXPECT_EQ(two.exitcode(), 0);
}

}  // namespace
