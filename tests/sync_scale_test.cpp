// A million locks in one program, each with no descriptor or mapping of
// its own (Python stops at 65,344 Locks), shared with a fork child.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <multiproc/multiproc.hpp>
#include <string>
#include <vector>

#include "support/child_io.hpp"
#include "support/leak_guard.hpp"
#include "sync/arena.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

long resident_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

int mapping_count() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  int n = 0;
  while (std::getline(maps, line)) ++n;
  return n;
}

TEST(SyncScale, AMillionLocksNoDescriptorsSharedWithAChild) {
  constexpr std::size_t kLocks = 1'000'000;
  const int fds_before = mpt::open_fd_count();
  const int maps_before = mapping_count();
  const long rss_before = resident_kib();
  const auto start = std::chrono::steady_clock::now();
  std::vector<mp::lock> locks(kLocks);
  const auto made = std::chrono::steady_clock::now();
  EXPECT_EQ(mpt::open_fd_count(), fds_before);
  // A few more maps at most (the vector's own, malloc arenas), not one per
  // lock.
  EXPECT_LT(mapping_count(), maps_before + 10);
  std::printf(
      "[ measured ] %zu locks: %.1f ms to construct, %.1f MiB resident\n",
      kLocks, std::chrono::duration<double, std::milli>(made - start).count(),
      static_cast<double>(resident_kib() - rss_before) / 1024.0);
  for (std::size_t i = 0; i < kLocks; i += 1000)
    ASSERT_TRUE(locks[i].acquire());
  const auto fork_start = std::chrono::steady_clock::now();
  auto report = mpt::run_in_child([&locks] {
    std::size_t held = 0;
    std::size_t free = 0;
    for (std::size_t i = 0; i < kLocks; i += 500) {
      if (locks[i].locked()) {
        ++held;
      } else if (locks[i].acquire(false)) {
        ++free;
      }
    }
    return std::to_string(held) + " " + std::to_string(free);
  });
  std::printf("[ measured ] fork + child + join with %zu locks: %.1f ms\n",
              kLocks,
              std::chrono::duration<double, std::milli>(
                  std::chrono::steady_clock::now() - fork_start)
                  .count());
  EXPECT_EQ(report.exitcode, 0);
  EXPECT_EQ(report.text, "1000 1000");
  // The child took 1000 free locks and ended holding them: taken over.
  int taken_over = 0;
  for (std::size_t i = 500; i < kLocks; i += 1000) {
    if (locks[i].acquire(false).owner_died()) ++taken_over;
  }
  EXPECT_EQ(taken_over, 1000);
}

// Cells go back to the arena: making and dropping locks in a loop carves
// no new memory once the first round's cells are free.
TEST(SyncScale, CellsAreReused) {
  {
    std::vector<mp::lock> warm(100'000);
    mp::semaphore s(1);
    mp::value<int> v;
  }
  const std::size_t high_water = multiproc::detail::sync::arena_high_water();
  for (int round = 0; round < 20; ++round) {
    std::vector<mp::lock> locks(100'000);
    mp::semaphore s(1);
    mp::value<int> v;
  }
  EXPECT_EQ(multiproc::detail::sync::arena_high_water(), high_water);
}

}  // namespace
