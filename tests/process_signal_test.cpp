// terminate(), kill(), interrupt(): signals through the pidfd, never to a
// reaped pid. Spec §7 cases 8, 9, 11, 54.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <multiproc/multiproc.hpp>
#include <thread>
#include <vector>

#include "posix/sys.hpp"
#include "support/child_io.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

// spec §7 cases 8 and 9: a sleeper polled with join(0)/join(-1), then
// signalled and joined: the code is -N, it is no longer alive nor listed,
// and joining again is fine.
void expect_signal_ends_sleeper(void (mp::process::*send)(), int signo) {
  mp::process p([] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{p};
  p.start();
  EXPECT_FALSE(p.join(0s));
  EXPECT_FALSE(p.join(-1s));
  (p.*send)();
  p.join();
  EXPECT_EQ(p.exitcode(), -signo);
  EXPECT_FALSE(p.is_alive());
  EXPECT_FALSE(mpt::contains(mp::active_children(), p));
  p.join();
  EXPECT_EQ(p.exitcode(), -signo);
}

// spec §7 case 8
TEST(ProcessSignal, TerminateEndsSleeperWithMinusSigterm) {
  expect_signal_ends_sleeper(&mp::process::terminate, SIGTERM);
}

// spec §7 case 9
TEST(ProcessSignal, KillEndsSleeperWithMinusSigkill) {
  expect_signal_ends_sleeper(&mp::process::kill, SIGKILL);
}

// spec §7 case 11: with the default SIGINT disposition, interrupt() ends the
// child with -SIGINT. (Case 10, Python's KeyboardInterrupt giving 1, has no
// C++ counterpart: there is no default handler that turns SIGINT into an
// exception.) The child sets SIG_DFL itself, since the test runner may have
// started us with SIGINT ignored, and says when it has.
TEST(ProcessSignal, InterruptWithDefaultDispositionGivesMinusSigint) {
  mpt::pipe_pair ready;
  mp::process p([&] {
    ::signal(SIGINT, SIG_DFL);
    mpt::write_all(ready.write_end(), "ready\n");
    std::this_thread::sleep_for(100s);
  });
  mpt::kill_on_exit guard{p};
  p.start();
  ready.close_write();
  ASSERT_EQ(mpt::read_line(ready.read_end()), "ready");
  p.interrupt();
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGINT);
}

// API.md: signals are no-ops once the child has ended, whether or not it has
// been reaped yet; they never change the recorded exit code.
TEST(ProcessSignal, SignalsAfterTheEndAreNoOps) {
  mp::process p([] { mp::exit(3); });
  p.start();
  std::vector<mp::process> one{p};
  ASSERT_EQ(mp::wait(one, 60s).size(), 1U);  // ended, still a zombie
  p.terminate();
  p.kill();
  p.interrupt();
  p.join();
  EXPECT_EQ(p.exitcode(), 3);
  p.terminate();
  p.kill();
  p.interrupt();
  EXPECT_EQ(p.exitcode(), 3);
}

// A child that ignores SIGTERM survives terminate(); kill() then ends it
// (Python's terminate; join(t); kill; join pattern).
TEST(ProcessSignal, ChildIgnoringSigtermNeedsKill) {
  mpt::pipe_pair ready;
  mp::process p([&] {
    ::signal(SIGTERM, SIG_IGN);
    mpt::write_all(ready.write_end(), "ready\n");
    std::this_thread::sleep_for(100s);
  });
  mpt::kill_on_exit guard{p};
  p.start();
  ready.close_write();
  ASSERT_EQ(mpt::read_line(ready.read_end()), "ready");
  p.terminate();
  EXPECT_FALSE(p.join(300ms));
  EXPECT_TRUE(p.is_alive());
  p.kill();
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGKILL);
}

// spec §7 case 54: a copy of the object in another process (here a sibling
// that inherited it through fork) really signals the child.
TEST(ProcessSignal, TerminateFromANonParentCopyReachesTheChild) {
  mp::process target([] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{target};
  target.start();
  mp::process sibling([target]() mutable { target.terminate(); });
  sibling.start();
  sibling.join();
  EXPECT_EQ(sibling.exitcode(), 0);
  EXPECT_TRUE(target.join(60s));
  EXPECT_EQ(target.exitcode(), -SIGTERM);
}

// An OS failure to signal is a std::system_error, not a silent no-op.
TEST(ProcessSignal, FailureToSignalThrowsSystemError) {
  mp::process p([] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{p};
  p.start();
  mp::detail::sys::inject_failure(mp::detail::sys::call::pidfd_send_signal,
                                  EPERM);
  try {
    p.terminate();
    ADD_FAILURE() << "terminate() did not report EPERM";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
  }
  mp::detail::sys::clear_injected_failures();
  EXPECT_TRUE(p.is_alive());
  p.kill();
  p.join();
  EXPECT_EQ(p.exitcode(), -SIGKILL);
}

}  // namespace
