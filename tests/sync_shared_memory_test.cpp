// mp::shared_memory (spec/ipc.md §5 rows 34-36): anonymous by default,
// named on request, unlinked only by its creator, nothing left behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <multiproc/multiproc.hpp>
#include <set>
#include <string>

#include "posix/sys.hpp"
#include "support/child_io.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using mpt::usage_message;
namespace fs = std::filesystem;

namespace {

std::set<std::string> dev_shm() {
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator("/dev/shm")) {
    names.insert(entry.path().filename().string());
  }
  return names;
}

std::string unique_name(const char* what) {
  return std::string("multiproc-test-") + what + "-" +
         std::to_string(::getpid());
}

mp::shared_memory_options create_named(const std::string& name,
                                       std::size_t size, bool track = true) {
  mp::shared_memory_options options;
  options.name = name;
  options.create = true;
  options.size = size;
  options.track = track;
  return options;
}

mp::shared_memory_options attach(const std::string& name) {
  mp::shared_memory_options options;
  options.name = name;
  return options;
}

TEST(SyncSharedMemory, AnonymousReachesChildrenAndNamesNothing) {
  const auto before = dev_shm();
  mp::shared_memory block(10);
  EXPECT_EQ(block.size(), 10u);
  EXPECT_EQ(block.buf().size(), 10u);
  EXPECT_EQ(block.name(), "");
  auto report = mpt::run_in_child([block] {
    block.buf()[3] = std::byte{42};
    return std::string();
  });
  EXPECT_EQ(report.exitcode, 0);
  EXPECT_EQ(block.buf()[3], std::byte{42});
  EXPECT_EQ(dev_shm(), before);
  block.close();
  EXPECT_TRUE(block.buf().empty());
  block.close();  // idempotent
}

// §5 row 34: Python's messages and errnos.
TEST(SyncSharedMemory, PythonMessagesAndErrnos) {
  EXPECT_EQ(usage_message([] { mp::shared_memory m(create_named("", 0)); }),
            "'size' must be a positive number different from zero");
  EXPECT_EQ(
      usage_message([] { mp::shared_memory m(static_cast<std::size_t>(-1)); }),
      "'size' must be a positive integer");
  EXPECT_EQ(
      usage_message([] { mp::shared_memory m(mp::shared_memory_options{}); }),
      "'name' can only be None if create=True");
  EXPECT_EQ(mpt::thrown_by([] {
              mp::shared_memory m(attach("multiproc-does-not-exist"));
            }),
            std::errc::no_such_file_or_directory);
  EXPECT_EQ(mpt::thrown_by([] { mp::shared_memory m(attach("a/b")); }),
            std::errc::invalid_argument);
  const std::string name = unique_name("exists");
  mp::shared_memory first(create_named(name, 16));
  EXPECT_EQ(
      mpt::thrown_by([&] { mp::shared_memory m(create_named(name, 16)); }),
      std::errc::file_exists);
  first.unlink();
  EXPECT_EQ(mpt::thrown_by([&] { first.unlink(); }),
            std::errc::no_such_file_or_directory);
}

// §5 row 35 (gh-82300): an attacher that lets go never unlinks; the
// creator does, when it lets go.
TEST(SyncSharedMemory, OnlyTheCreatorUnlinks) {
  const std::string name = unique_name("creator");
  {
    mp::shared_memory creator(create_named(name, 10));
    EXPECT_EQ(creator.name(), name);
    creator.buf()[0] = std::byte{7};
    auto report = mpt::run_in_child([name] {
      mp::shared_memory attached(attach(name));
      std::string text = std::to_string(attached.size()) + " " +
                         std::to_string(static_cast<int>(attached.buf()[0]));
      attached.close();
      return text;
    });
    EXPECT_EQ(report.text, "10 7");
    EXPECT_TRUE(dev_shm().count(name));
    // A fork child of the creator is not the creator either.
    report = mpt::run_in_child([creator]() mutable {
      creator.close();
      return std::string();
    });
    EXPECT_TRUE(dev_shm().count(name));
    mp::shared_memory again(attach(name));
    EXPECT_EQ(again.buf()[0], std::byte{7});
  }
  EXPECT_FALSE(dev_shm().count(name));
}

TEST(SyncSharedMemory, UntrackedNameLastsUntilUnlinked) {
  const std::string name = unique_name("untracked");
  { mp::shared_memory creator(create_named(name, 4, false)); }
  EXPECT_TRUE(dev_shm().count(name));
  mp::shared_memory::unlink(name);
  EXPECT_FALSE(dev_shm().count(name));
}

// A construction that fails leaves no name behind.
TEST(SyncSharedMemory, FailedConstructionLeavesNoName) {
  const std::string name = unique_name("failed");
  multiproc::detail::sys::inject_failure(multiproc::detail::sys::call::mmap,
                                         ENOMEM);
  EXPECT_EQ(mpt::thrown_by([&] { mp::shared_memory m(create_named(name, 8)); }),
            std::errc::not_enough_memory);
  multiproc::detail::sys::clear_injected_failures();
  EXPECT_FALSE(dev_shm().count(name));
}

}  // namespace
