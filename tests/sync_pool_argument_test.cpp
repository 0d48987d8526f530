// Part 4 handles as top-level arguments of pool::submit()/apply() (API.md
// Part 4, "Pool workers"; spec/ipc.md P13): the task gets a handle to the
// same object when the object is older than the pool, and a younger one
// is refused in the caller with Python's message, queueing nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <multiproc/multiproc.hpp>
#include <optional>
#include <string>
#include <vector>

#include "sync_test_support.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

bool try_take(mp::lock l) {
  const bool took = static_cast<bool>(l.acquire(false));
  if (took) l.release();
  return took;
}

int add_under_lock(mp::value<std::int64_t> v, int times) {
  for (int i = 0; i < times; ++i) {
    std::lock_guard g(v);
    ++v.get_obj();
  }
  return times;
}

void put_pid(mp::queue<int> q) { q.put(static_cast<int>(::getpid())); }

bool set_then_read(mp::event e) {
  e.set();
  return e.is_set();
}

std::string read_shared(const mp::shared_memory& shm) {
  auto bytes = shm.buf();
  return {reinterpret_cast<const char*>(bytes.data()), 5};
}

TEST(SyncPoolArgument, TaskSeesTheCallersLock) {
  mp::lock l;
  mp::pool workers({.processes = 1});
  {
    std::lock_guard held(l);
    EXPECT_FALSE(workers.apply(try_take, l));  // the same lock, held here
  }
  EXPECT_TRUE(workers.apply(try_take, l));
}

TEST(SyncPoolArgument, LockedValueCountsEveryWorkersIncrements) {
  mp::value<std::int64_t> total;
  mp::pool workers({.processes = 2});
  std::vector<mp::future<int>> futures;
  for (int i = 0; i < 8; ++i) {
    futures.push_back(workers.submit(add_under_lock, total, 500));
  }
  for (auto& f : futures) EXPECT_EQ(f.get(), 500);
  EXPECT_EQ(total.load(), 8 * 500);
}

TEST(SyncPoolArgument, QueueAndEventAndSharedMemoryReachTheTask) {
  mp::queue<int> q;
  mp::event e;
  mp::shared_memory shm({.create = true, .size = 16});
  std::memcpy(shm.buf().data(), "hello", 5);
  mp::pool workers({.processes = 1});
  workers.apply(put_pid, q);
  EXPECT_GT(q.get(5s), 0);
  EXPECT_TRUE(workers.apply(set_then_read, e));
  EXPECT_TRUE(e.is_set());
  EXPECT_EQ(workers.apply(read_shared, shm), "hello");
}

// The caller may drop its own handle at once: the task still runs on the
// object (the task keeps a copy of the caller's handle until it is done).
TEST(SyncPoolArgument, CallerDroppingItsHandleAfterSubmitIsFine) {
  std::optional<mp::event> e(std::in_place);
  mp::event watcher = *e;
  mp::pool workers({.processes = 1});
  auto f = workers.submit(set_then_read, *e);
  e.reset();
  EXPECT_TRUE(f.get());
  EXPECT_TRUE(watcher.is_set());
}

// P13: Python drops such an object silently or fails late in the worker;
// here the call throws with Python's message and queues nothing.
TEST(SyncPoolArgument, ObjectYoungerThanThePoolIsRefusedWithPythonsMessage) {
  mp::pool workers({.processes = 1});
  mp::lock young;
  EXPECT_EQ(mpt::usage_message([&] { (void)workers.submit(try_take, young); }),
            "Lock objects should only be shared between processes through "
            "inheritance");
  mp::event young_event;
  EXPECT_EQ(mpt::usage_message(
                [&] { (void)workers.apply(set_then_read, young_event); }),
            "Event objects should only be shared between processes through "
            "inheritance");
  mp::queue<int> young_queue;
  EXPECT_EQ(
      mpt::usage_message([&] { (void)workers.submit(put_pid, young_queue); }),
      "Queue objects should only be shared between processes through "
      "inheritance");
  mp::value<std::int64_t> young_value;
  EXPECT_EQ(mpt::usage_message(
                [&] { (void)workers.submit(add_under_lock, young_value, 1); }),
            "Synchronized objects should only be shared between processes "
            "through inheritance");
  mp::shared_memory young_shm({.create = true, .size = 8});
  EXPECT_EQ(
      mpt::usage_message([&] { (void)workers.submit(read_shared, young_shm); }),
      "SharedMemory objects should only be shared between processes "
      "through inheritance");
  // Nothing was queued: the pool is idle and still works.
  mp::lock old_enough_for_a_new_pool = young;
  mp::pool later({.processes = 1});
  EXPECT_TRUE(later.apply(try_take, old_enough_for_a_new_pool));
}

// A copy made after the pool of an object made before it is fine: what
// counts is the object's age, not the handle's.
TEST(SyncPoolArgument, CopyMadeAfterThePoolOfAnOlderObjectIsAccepted) {
  mp::lock l;
  mp::pool workers({.processes = 1});
  mp::lock copy = l;
  EXPECT_TRUE(workers.apply(try_take, copy));
}

// Replacement workers are forked later, yet the rule stays the pool's age:
// the same call succeeds or fails the same way whichever worker runs it.
TEST(SyncPoolArgument, ReplacementWorkerSeesTheSameObject) {
  mp::lock l;
  mp::pool workers({.processes = 1});
  auto crash = workers.submit([] { std::abort(); });
  EXPECT_THROW(crash.get(), mp::process_died);
  std::lock_guard held(l);
  EXPECT_FALSE(workers.apply(try_take, l));
}

}  // namespace
