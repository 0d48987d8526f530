// Memory caps (RLIMIT_DATA, RLIMIT_AS): an allocation past the cap is
// std::bad_alloc in the child, which a future rethrows as itself; the
// parent and unrelated children keep their own limits; a pool task's cap is
// its own.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <multiproc/multiproc.hpp>
#include <new>
#include <vector>

#include "limits_test_support.hpp"

namespace mp = multiproc;
namespace mt = multiproc::testing;

namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

// Allocates and touches `bytes`; returns how many it touched.
std::size_t allocate(std::size_t bytes) {
  std::vector<char> block(bytes);
  std::memset(block.data(), 1, block.size());
  return block.size();
}

mp::limits data_cap(std::uint64_t room) {
  mp::limits caps;
  caps.data = mt::data_cap_with_room(room);
  return caps;
}

}  // namespace

TEST(LimitsMemory, AllocationPastTheDataCapIsBadAllocThroughTheFuture) {
  MULTIPROC_SKIP_MEMORY_CAPS();
  auto f = mp::async({.limits = data_cap(64 * kMiB)}, allocate, 512 * kMiB);
  EXPECT_THROW(f.get(), std::bad_alloc);
}

TEST(LimitsMemory, AllocationBelowTheDataCapSucceeds) {
  MULTIPROC_SKIP_MEMORY_CAPS();
  auto f = mp::async({.limits = data_cap(128 * kMiB)}, allocate, 16 * kMiB);
  EXPECT_EQ(f.get(), 16 * kMiB);
}

TEST(LimitsMemory, AllocationPastTheAddressSpaceCapIsBadAlloc) {
  MULTIPROC_SKIP_MEMORY_CAPS();
  mp::limits caps;
  caps.address_space = mt::address_cap_with_room(64 * kMiB);
  auto f = mp::async({.limits = caps}, allocate, 512 * kMiB);
  EXPECT_THROW(f.get(), std::bad_alloc);
}

TEST(LimitsMemory, TheChildCannotRaiseItsCapAgain) {
  mp::limits caps;
  caps.data = mt::data_cap_with_room(256 * kMiB);
  const std::uint64_t cap = *caps.data;
  auto f = mp::async({.limits = caps}, [] {
    rlimit now = mt::limit_of(RLIMIT_DATA);
    return std::vector<std::uint64_t>{now.rlim_cur, now.rlim_max};
  });
  EXPECT_EQ(f.get(), (std::vector<std::uint64_t>{cap, cap}));
}

TEST(LimitsMemory, ParentAndUnrelatedChildrenKeepTheirLimits) {
  const rlimit before = mt::limit_of(RLIMIT_DATA);
  mp::limits caps;
  caps.data = mt::data_cap_with_room(256 * kMiB);
  mp::call({.limits = caps}, [] { return 0; });
  const rlimit after = mt::limit_of(RLIMIT_DATA);
  EXPECT_EQ(after.rlim_cur, before.rlim_cur);
  EXPECT_EQ(after.rlim_max, before.rlim_max);
  // A child started afterwards without limits inherits the parent's.
  auto unrelated = mp::call([] { return mt::limit_of(RLIMIT_DATA).rlim_cur; });
  EXPECT_EQ(unrelated, before.rlim_cur);
}

TEST(LimitsMemory, ProcessChildSeesBadAllocItself) {
  MULTIPROC_SKIP_MEMORY_CAPS();
  mp::process p({.limits = data_cap(64 * kMiB)}, [] {
    try {
      allocate(512 * kMiB);
    } catch (const std::bad_alloc&) {
      mp::exit(7);
    }
  });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 7);
}

TEST(LimitsMemory, PoolWorkerCapAppliesToEveryTask) {
  MULTIPROC_SKIP_MEMORY_CAPS();
  mp::pool workers({.processes = 1, .limits = data_cap(64 * kMiB)});
  EXPECT_THROW(workers.submit(allocate, 512 * kMiB).get(), std::bad_alloc);
  EXPECT_EQ(workers.submit(allocate, 8 * kMiB).get(), 8 * kMiB);
  EXPECT_THROW(workers.submit(allocate, 512 * kMiB).get(), std::bad_alloc);
}

TEST(LimitsMemory, PoolTaskCapIsThatTasksAlone) {
  MULTIPROC_SKIP_MEMORY_CAPS();
  mp::pool workers({.processes = 1});
  mp::task_options capped;
  capped.limits = data_cap(64 * kMiB);
  EXPECT_THROW(workers.submit(capped, allocate, 512 * kMiB).get(),
               std::bad_alloc);
  // The same worker, restored: the next task may use more than the cap.
  EXPECT_EQ(workers.submit(allocate, 256 * kMiB).get(), 256 * kMiB);
  // And the worker's soft limit is back to what it inherited.
  const rlimit parent = mt::limit_of(RLIMIT_DATA);
  EXPECT_EQ(workers.apply([] { return mt::limit_of(RLIMIT_DATA).rlim_cur; }),
            parent.rlim_cur);
}
