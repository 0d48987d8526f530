// The arena and each queue's data area are address space reserved
// PROT_NONE and made usable only as far as they are used, in each process
// (src/posix/usable_prefix.hpp): so that nothing that reads a whole mapping
// (valgrind's leak scan, gcore) makes the reservation resident; and a cell
// another process placed past this process's used space still works here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <multiproc/multiproc.hpp>
#include <span>
#include <sstream>
#include <string>
#include <system_error>

#include "posix/sys.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;

namespace {

struct memfd_mappings {
  std::uint64_t usable = 0;    // bytes mapped readable
  std::uint64_t reserved = 0;  // bytes mapped PROT_NONE
};

// This process's mappings of the library's memfds (/proc/self/maps).
memfd_mappings library_mappings() {
  memfd_mappings found;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.find("memfd:multiproc-") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string range;
    std::string perms;
    fields >> range >> perms;
    const auto dash = range.find('-');
    const std::uint64_t from = std::stoull(range.substr(0, dash), nullptr, 16);
    const std::uint64_t to = std::stoull(range.substr(dash + 1), nullptr, 16);
    (perms[0] == 'r' ? found.usable : found.reserved) += to - from;
  }
  return found;
}

std::string pattern(std::size_t size, char seed) {
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    text[i] = static_cast<char>(seed + static_cast<char>(i % 97));
  }
  return text;
}

TEST(SyncReservedSpace, OnlyWhatIsUsedIsReadable) {
  // A 1 GiB queue (4 GiB of data address space) and the 8 GiB arena,
  // each with something in it.
  mp::queue<std::string> q;
  mp::lock l;
  q.put(pattern(std::size_t{2} << 20, 'a'));
  const memfd_mappings m = library_mappings();
  EXPECT_GE(m.reserved, std::uint64_t{11} << 30);
  EXPECT_LT(m.usable, std::uint64_t{256} << 20);
  EXPECT_EQ(q.get(), pattern(std::size_t{2} << 20, 'a'));
}

TEST(SyncReservedSpace, AnItemAChildPlacedPastTheParentsUsedSpaceArrives) {
  // The parent has used none of the data area; the child's 16 MiB item
  // lies past anything usable in the parent when it is got.
  mp::queue<std::string> q;
  mp::process child(
      [q]() mutable { q.put(pattern(std::size_t{16} << 20, 'x')); });
  child.start();
  EXPECT_EQ(q.get(), pattern(std::size_t{16} << 20, 'x'));
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(SyncReservedSpace, AnArenaCellAChildFreedIsReusedByTheParent) {
  // The child allocates 32 MiB of arena cells, past the parent's usable
  // space, and frees them; the parent's next arrays of that size are
  // those cells, taken from the free list and zeroed here.
  constexpr std::size_t kBytes = std::size_t{32} << 20;
  mp::process child([] {
    mp::raw_array<char> a(kBytes);
    a.store(kBytes - 1, 'z');
  });
  child.start();
  child.join();
  ASSERT_EQ(child.exitcode(), 0);
  mp::raw_array<char> b(kBytes);
  EXPECT_EQ(b.load(kBytes - 1), '\0');
  const std::span<char> all = b.get_obj();
  std::fill(all.begin(), all.end(), 'y');
  EXPECT_EQ(b.load(kBytes - 1), 'y');
}

TEST(SyncReservedSpace, SpaceThatCannotBeMadeUsableFailsThePutAlone) {
  // mprotect refused (the map count limit, say): the put of an item that
  // needs new space is a std::system_error and the queue is unchanged;
  // the next put works.
  namespace sys = mp::detail::sys;
  mp::queue<std::string> q;
  sys::inject_failure(sys::call::mprotect, ENOMEM);
  EXPECT_THROW(q.put(pattern(std::size_t{4} << 20, 'p')), std::system_error);
  sys::clear_injected_failures();
  EXPECT_EQ(q.qsize(), 0U);
  q.put(pattern(std::size_t{4} << 20, 'q'));
  EXPECT_EQ(q.get(), pattern(std::size_t{4} << 20, 'q'));
}

}  // namespace
