// mp::rlock: Python's RLock (owned by a thread, reentrant) and takeover at
// depth 1 when its owner ended (spec/ipc.md §5 row 6).
#include <gtest/gtest.h>

#include <atomic>
#include <multiproc/multiproc.hpp>
#include <mutex>
#include <string>
#include <thread>

#include "support/child_io.hpp"
#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kNotOwned =
    "attempt to release recursive lock not owned by thread";

std::string message_of_release(mp::rlock& l) {
  try {
    l.release();
  } catch (const mp::usage_error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(SyncRlock, ReentrantAndPythonMessages) {
  mp::rlock r;
  EXPECT_FALSE(r.locked());
  EXPECT_EQ(message_of_release(r), kNotOwned);  // not held
  ASSERT_TRUE(r.acquire());
  ASSERT_TRUE(r.acquire(false));
  ASSERT_TRUE(r.acquire(10ms));
  EXPECT_TRUE(r.locked());
  r.release();
  r.release();
  EXPECT_TRUE(r.locked());
  r.release();
  EXPECT_FALSE(r.locked());
  EXPECT_EQ(message_of_release(r), kNotOwned);
}

TEST(SyncRlock, AnotherThreadCannotReleaseOrTake) {
  mp::rlock r;
  ASSERT_TRUE(r.acquire());
  std::string message;
  bool took = true;
  std::thread other([&] {
    message = message_of_release(r);
    took = r.acquire(false).acquired();
  });
  other.join();
  EXPECT_EQ(message, kNotOwned);
  EXPECT_FALSE(took);
  r.release();
}

TEST(SyncRlock, AnotherProcessCannotRelease) {
  mp::rlock r;
  ASSERT_TRUE(r.acquire());
  auto report =
      mpt::run_in_child([r]() mutable { return message_of_release(r); });
  EXPECT_EQ(report.text, kNotOwned);
  EXPECT_TRUE(r.locked());
  r.release();
}

// The owner with depth 2 SIGKILLed: the next acquirer takes it over with
// owner_died() at depth 1, and one release() frees it.
TEST(SyncRlock, OwnerKilledAtDepthTwoTakenOverAtDepthOne) {
  mp::rlock r;
  mpt::pipe_pair release;
  mp::process holder = mpt::start_holder(
      [r]() mutable {
        r.lock();
        r.lock();
      },
      release);
  mpt::kill_on_exit guard{holder};
  EXPECT_FALSE(r.acquire(false));
  mpt::kill_and_reap(holder);
  auto got = r.acquire(2s);
  EXPECT_TRUE(got.owner_died());
  EXPECT_TRUE(r.owner_died());
  r.release();
  EXPECT_FALSE(r.locked());
  // Free for anyone, with a plain acquisition.
  bool plain = false;
  std::thread other([&] {
    auto again = r.acquire(false);
    plain = again.acquired() && !again.owner_died();
    if (again) r.release();
  });
  other.join();
  EXPECT_TRUE(plain);
}

// A thread (not its process) that ends holding an rlock: taken over.
TEST(SyncRlock, OwnerThreadEndsHoldingItTakenOver) {
  mp::rlock r;
  std::thread([&] {
    r.lock();
    r.lock();
  }).join();
  auto got = r.acquire(2s);
  EXPECT_TRUE(got.acquired());
  EXPECT_TRUE(got.owner_died());
  r.release();
  EXPECT_FALSE(r.locked());
}

TEST(SyncRlock, StdInteropNested) {
  mp::rlock r;
  {
    std::lock_guard outer(r);
    std::unique_lock inner(r, std::try_to_lock);
    EXPECT_TRUE(inner.owns_lock());
  }
  EXPECT_FALSE(r.locked());
}

TEST(SyncRlock, SerialisesProcesses) {
  mp::rlock r;
  mpt::shared<long> counter;
  long* total = &*counter;
  auto work = [r, total]() mutable {
    for (int i = 0; i < 10000; ++i) {
      std::lock_guard g(r);
      std::lock_guard again(r);
      *total = *total + 1;
    }
  };
  mp::process a(work);
  mp::process b(work);
  a.start();
  b.start();
  a.join();
  b.join();
  EXPECT_EQ(*counter, 20000);
}

}  // namespace
