// Fault matrix, "fork refused" (docs/RELIABILITY.md): the OS refuses a new
// process, for real (RLIMIT_NPROC) or by injection (EAGAIN, ENOMEM).
// start(), async() and a pool's constructor throw std::system_error with
// the errno, leave nothing behind (no fd, no child), and the object stays
// usable; a pool whose dead worker cannot be replaced fails its queued work
// instead of hanging, and recovers once fork works again.
//
// Also covered elsewhere: tests/process_os_failure_test.cpp
// (ProcessOsFailure.ForkFailureThrowsAndLeavesTheObjectStartable,
// ForkFailureOffTheMainThreadWithParentDeathSignal).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <multiproc/multiproc.hpp>
#include <string>
#include <system_error>
#include <thread>

#include "posix/sys.hpp"
#include "support/child_io.hpp"
#include "support/leak_guard.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
namespace sys = multiproc::detail::sys;
using namespace std::chrono_literals;

namespace {

using multiproc::testing::thrown_by;
using multiproc::testing::with_processes;

int square(int x) { return x * x; }
int die_by_sigkill(int) {
  ::raise(SIGKILL);
  return 0;
}
pid_t own_pid() { return ::getpid(); }

struct injected_fork {
  int error;
  bool kill_on_parent_death;  // forked by the anchor thread
  bool off_main_thread;
};

class ReliabilityForkInjected : public ::testing::TestWithParam<injected_fork> {
};

// start() with fork failing: system_error with that errno; still unstarted
// (no pid, not alive, not listed); no fd; start() then works.
TEST_P(ReliabilityForkInjected, StartThrowsAndTheObjectStaysStartable) {
  const injected_fork c = GetParam();
  mp::process_options options;
  options.kill_on_parent_death = c.kill_on_parent_death;
  mp::process p(options, [] { mp::exit(5); });
  const int fds = mpt::open_fd_count();
  auto start = [&] {
    if (c.off_main_thread) {
      std::exception_ptr error;
      std::thread([&] {
        try {
          p.start();
        } catch (...) {
          error = std::current_exception();
        }
      }).join();
      if (error) std::rethrow_exception(error);
    } else {
      p.start();
    }
  };
  sys::inject_failure(sys::call::fork, c.error);
  std::error_code code = thrown_by(start);
  sys::clear_injected_failures();
  EXPECT_EQ(code, std::error_code(c.error, std::generic_category()));
  EXPECT_EQ(p.pid(), std::nullopt);
  EXPECT_FALSE(p.is_alive());
  EXPECT_TRUE(mp::active_children().empty());
  EXPECT_EQ(mpt::open_fd_count(), fds);
  EXPECT_EQ(mpt::find_zombie_child(), 0);
  start();
  p.join();
  EXPECT_EQ(p.exitcode(), 5);
}

INSTANTIATE_TEST_SUITE_P(Errors, ReliabilityForkInjected,
                         ::testing::Values(injected_fork{EAGAIN, false, false},
                                           injected_fork{ENOMEM, false, false},
                                           injected_fork{EAGAIN, true, true},
                                           injected_fork{ENOMEM, true, true},
                                           injected_fork{ENOMEM, false, true}));

TEST(ReliabilityFork, AsyncThrowsAndLeavesNoFdOrChild) {
  for (int error : {EAGAIN, ENOMEM}) {
    const int fds = mpt::open_fd_count();
    sys::inject_failure(sys::call::fork, error);
    std::error_code code = thrown_by([] { (void)mp::async(square, 3); });
    sys::clear_injected_failures();
    EXPECT_EQ(code, std::error_code(error, std::generic_category()));
    EXPECT_EQ(mpt::open_fd_count(), fds) << "the result channel leaked";
    EXPECT_EQ(mpt::find_zombie_child(), 0);
    EXPECT_EQ(mp::call(square, 4), 16);
  }
}

// The third worker cannot be forked: the two already running are killed
// and reaped, every fd (eventfd, sockets, pidfds) is closed, and a new pool
// works.
TEST(ReliabilityFork, PoolConstructorThrowsAndLeavesNothing) {
  for (int error : {EAGAIN, ENOMEM}) {
    const int fds = mpt::open_fd_count();
    sys::inject_failure(sys::call::fork, error, 1, 2);
    std::error_code code = thrown_by([] { mp::pool p(with_processes(3)); });
    sys::clear_injected_failures();
    EXPECT_EQ(code, std::error_code(error, std::generic_category()));
    EXPECT_EQ(mpt::open_fd_count(), fds);
    EXPECT_EQ(mpt::find_zombie_child(), 0);
    EXPECT_TRUE(mp::active_children().empty());
  }
  mp::pool workers(with_processes(3));
  EXPECT_EQ(workers.apply(square, 6), 36);
}

// A worker dies and fork keeps failing. With no worker left, queued and
// later tasks fail with process_died instead of waiting forever (bug: they
// used to hang, nothing retried the replacement); once fork works again,
// the next task gets a fresh worker.
TEST(ReliabilityFork, PoolWhoseDeadWorkerCannotBeReplacedFailsThenRecovers) {
  mp::pool workers(with_processes(1));
  EXPECT_EQ(workers.apply(square, 2), 4);
  sys::inject_failure(sys::call::fork, EAGAIN, 1'000'000);
  EXPECT_THROW(workers.submit(die_by_sigkill, 0).get(), mp::process_died);
  auto next = workers.submit(square, 3);
  ASSERT_EQ(next.wait_for(60s), std::future_status::ready)
      << "a task queued on a pool with no worker hangs";
  EXPECT_THROW(next.get(), mp::process_died);
  sys::clear_injected_failures();
  auto after = workers.submit(square, 5);
  ASSERT_EQ(after.wait_for(60s), std::future_status::ready);
  EXPECT_EQ(after.get(), 25);
}

// With two workers, one unreplaceable death leaves the other serving.
TEST(ReliabilityFork, PoolKeepsServingOnTheWorkersItHas) {
  mp::pool workers(with_processes(2));
  sys::inject_failure(sys::call::fork, ENOMEM, 1'000'000);
  EXPECT_THROW(workers.submit(die_by_sigkill, 0).get(), mp::process_died);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(workers.apply(square, i), i * i);
  sys::clear_injected_failures();
}

// The real limit. Root ignores RLIMIT_NPROC (CAP_SYS_RESOURCE), so a child
// first becomes `nobody` (65534), which drops every capability, then sets
// its soft limit to 0: every fork and every new thread fails with EAGAIN.
// Returns the failed checks, one per line (empty: all passed).
std::string under_nproc_limit() {
  std::string failures;
  auto check = [&failures](bool ok, const std::string& what) {
    if (!ok) failures += what + "\n";
  };
  if (::getuid() == 0) {
    if (::setgid(65534) != 0 || ::setuid(65534) != 0) return "setuid failed\n";
    // setuid() clears the dumpable flag, which makes /proc/self/fd
    // unreadable to us; the fd count needs it.
    ::prctl(PR_SET_DUMPABLE, 1);
  }
  // Made before the limit: a pool (its dispatcher thread) to test the
  // replacement of a worker, and a worker to kill.
  mp::pool workers(with_processes(1));
  check(workers.apply(square, 2) == 4, "pool works before the limit");

  rlimit old{};
  ::getrlimit(RLIMIT_NPROC, &old);
  rlimit none = old;
  none.rlim_cur = 0;
  if (::setrlimit(RLIMIT_NPROC, &none) != 0) return "setrlimit failed\n";
  const int fds = mpt::open_fd_count();

  mp::process p([] { mp::exit(6); });
  std::error_code code = thrown_by([&] { p.start(); });
  check(code == std::errc::resource_unavailable_try_again,
        "start(): " + code.message());
  check(!p.pid() && !p.is_alive(), "start(): object left unstarted");
  code = thrown_by([] { (void)mp::async(square, 3); });
  check(code == std::errc::resource_unavailable_try_again,
        "async(): " + code.message());
  code = thrown_by([] { mp::pool other(with_processes(2)); });
  check(code == std::errc::resource_unavailable_try_again,
        "pool(): " + code.message());
  check(mpt::open_fd_count() == fds, "fds leaked under the limit");

  // The worker dies; its replacement is forked by the dispatcher thread
  // through the kill_on_parent_death anchor thread, which cannot be made
  // either (bug: std::thread threw inside a noexcept launcher and
  // std::terminate ended the program).
  try {
    workers.submit(die_by_sigkill, 0).get();
    check(false, "the killed task returned");
  } catch (const mp::process_died&) {
  }
  auto queued = workers.submit(square, 4);
  check(queued.wait_for(60s) == std::future_status::ready,
        "pool task hangs while no worker can be forked");
  bool died = false;
  try {
    queued.get();
  } catch (const mp::process_died&) {
    died = true;
  } catch (...) {
  }
  check(died, "pool task without a worker: process_died expected");

  ::setrlimit(RLIMIT_NPROC, &old);
  p.start();
  p.join();
  check(p.exitcode() == 6, "start() after the limit was lifted");
  check(mp::call(square, 5) == 25, "async() after the limit was lifted");
  auto later = workers.submit(own_pid);
  check(later.wait_for(60s) == std::future_status::ready,
        "pool does not recover");
  check(later.get() != ::getpid(), "pool task ran in a new worker");
  return failures;
}

TEST(ReliabilityFork, RealNprocLimitForProcessAsyncAndPool) {
  mpt::child_report report = mpt::run_in_child(under_nproc_limit);
  EXPECT_EQ(report.text, "");
  EXPECT_EQ(report.exitcode, 0);
}

}  // namespace
