// OS failures during start(): std::system_error, and the object is left
// unstarted and startable with nothing left behind. API.md "OS failures".
#include <gtest/gtest.h>

#include <cerrno>
#include <multiproc/multiproc.hpp>
#include <system_error>
#include <thread>

#include "posix/sys.hpp"
#include "support/child_io.hpp"
#include "support/leak_guard.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
namespace sys = multiproc::detail::sys;

namespace {

// Starts `p` with the next call of `which` failing with `error`; returns the
// error code start() threw (or an empty code if it did not throw).
std::error_code failed_start(mp::process& p, sys::call which, int error) {
  sys::inject_failure(which, error);
  std::error_code code;
  try {
    p.start();
  } catch (const std::system_error& e) {
    code = e.code();
  }
  sys::clear_injected_failures();
  return code;
}

void expect_unstarted(mp::process& p) {
  EXPECT_EQ(p.pid(), std::nullopt);
  EXPECT_FALSE(p.is_alive());
  EXPECT_EQ(p.exitcode(), std::nullopt);
  EXPECT_TRUE(mp::active_children().empty());
  try {
    p.join();
    ADD_FAILURE() << "join() after a failed start() did not throw";
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(), "can only join a started process");
  }
}

TEST(ProcessOsFailure, ForkFailureThrowsAndLeavesTheObjectStartable) {
  mp::process p([] { mp::exit(3); });
  int fds = mpt::open_fd_count();
  EXPECT_EQ(failed_start(p, sys::call::fork, EAGAIN),
            std::errc::resource_unavailable_try_again);
  expect_unstarted(p);
  EXPECT_EQ(mpt::open_fd_count(), fds);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 3);
}

// The child was forked but cannot be held (no fd for its pidfd): it is
// killed and reaped, no fd leaks, and the object can be started again.
TEST(ProcessOsFailure, PidfdOpenFailureLeavesNoZombieAndNoFd) {
  mp::process p([] { mp::exit(4); });
  int fds = mpt::open_fd_count();
  EXPECT_EQ(failed_start(p, sys::call::pidfd_open, EMFILE),
            std::errc::too_many_files_open);
  EXPECT_EQ(mpt::find_zombie_child(), 0);
  EXPECT_EQ(mpt::open_fd_count(), fds);
  expect_unstarted(p);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 4);
}

// The same through the thread that forks kill_on_parent_death children
// started off the main thread.
TEST(ProcessOsFailure, ForkFailureOffTheMainThreadWithParentDeathSignal) {
  mp::process p(mpt::killed_with_parent(), [] {});
  std::error_code code;
  std::thread([&] { code = failed_start(p, sys::call::fork, ENOMEM); }).join();
  EXPECT_EQ(code, std::errc::not_enough_memory);
  expect_unstarted(p);
  std::thread([&] { p.start(); }).join();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

}  // namespace
