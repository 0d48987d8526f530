// Fault matrix, "out of file descriptors" (docs/RELIABILITY.md): a real
// RLIMIT_NOFILE with every fd taken or only a few free, and EMFILE (or the
// call's own errno) injected into every call that creates an fd or can
// fail. Each gives a clear std::system_error (or, where the library can do
// without, carries on), and nothing leaks: no fd, no child, no zombie.
//
// Also covered elsewhere: tests/process_os_failure_test.cpp
// (ProcessOsFailure.PidfdOpenFailureLeavesNoZombieAndNoFd) and
// tests/future_lifetime_test.cpp
// (FutureLifetime.OutOfFdsThrowsSystemErrorAndLeavesNoChild).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <functional>
#include <multiproc/multiproc.hpp>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

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
std::string big(int n) { return std::string(static_cast<std::size_t>(n), 'x'); }

// Every fd above the current ones taken, then `free` of them given back,
// under a lowered RLIMIT_NOFILE; the limit and the fds are restored on
// destruction.
class fd_squeeze {
 public:
  explicit fd_squeeze(int free) {
    ::getrlimit(RLIMIT_NOFILE, &old_);
    rlimit low = old_;
    low.rlim_cur = static_cast<rlim_t>(mpt::open_fd_count() + free + 8);
    ::setrlimit(RLIMIT_NOFILE, &low);
    const int base = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (base >= 0) hogs_.push_back(base);
    for (;;) {
      int fd = ::fcntl(base, F_DUPFD_CLOEXEC, 0);
      if (fd < 0) break;
      hogs_.push_back(fd);
    }
    for (int i = 0; i < free && !hogs_.empty(); ++i) {
      ::close(hogs_.back());
      hogs_.pop_back();
    }
  }
  fd_squeeze(const fd_squeeze&) = delete;
  fd_squeeze& operator=(const fd_squeeze&) = delete;
  ~fd_squeeze() {
    for (int fd : hogs_) ::close(fd);
    ::setrlimit(RLIMIT_NOFILE, &old_);
  }

 private:
  rlimit old_{};
  std::vector<int> hogs_;
};

// UBSan's vptr check probes memory through a pipe, which it cannot make
// with every fd taken, and then reports a false error (as in
// FutureLifetime.OutOfFdsThrowsSystemErrorAndLeavesNoChild).
#if defined(__SANITIZE_ADDRESS__)
#define SKIP_UNDER_SANITIZERS() \
  GTEST_SKIP() << "sanitizer runtime needs free fds"
#else
#define SKIP_UNDER_SANITIZERS() (void)0
#endif

TEST(ReliabilityFd, RealLimitStartThrowsEmfileAndLeavesTheObjectStartable) {
  SKIP_UNDER_SANITIZERS();
  mp::process p([] { mp::exit(8); });
  const int fds = mpt::open_fd_count();
  std::error_code code;
  {
    fd_squeeze none(0);
    code = thrown_by([&] { p.start(); });
  }
  EXPECT_EQ(code, std::errc::too_many_files_open);
  EXPECT_EQ(p.pid(), std::nullopt);
  EXPECT_FALSE(p.is_alive());
  EXPECT_EQ(mpt::find_zombie_child(), 0) << "the forked child was not reaped";
  EXPECT_EQ(mpt::open_fd_count(), fds);
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 8);
}

// At every level from no free fd to enough: async() and a pool either work
// or throw system_error(EMFILE); afterwards every fd is back and no child
// is left.
TEST(ReliabilityFd, RealLimitAtEveryLevelForAsyncAndPool) {
  SKIP_UNDER_SANITIZERS();
  const int fds = mpt::open_fd_count();
  bool async_worked = false, pool_worked = false;
  for (int free = 0; free <= 12; ++free) {
    std::error_code async_code, pool_code;
    {
      fd_squeeze squeeze(free);
      async_code = thrown_by([&] {
        if (mp::call(square, free) == free * free) async_worked = true;
      });
      pool_code = thrown_by([&] {
        mp::pool workers(with_processes(3));
        if (workers.apply(square, free) == free * free) pool_worked = true;
      });
    }
    if (async_code) {
      EXPECT_EQ(async_code, std::errc::too_many_files_open);
    }
    if (pool_code) {
      EXPECT_EQ(pool_code, std::errc::too_many_files_open);
    }
    EXPECT_EQ(mpt::open_fd_count(), fds) << free << " free fds";
    EXPECT_EQ(mpt::find_zombie_child(), 0) << free << " free fds";
    EXPECT_TRUE(mp::active_children().empty()) << free << " free fds";
  }
  EXPECT_TRUE(async_worked);
  EXPECT_TRUE(pool_worked);
}

// --- Injected failures, one per call ------------------------------------

struct injection {
  const char* name;
  sys::call call;
  int error;
  int after;  // calls let through first
  // What to run, and what must happen: throws system_error(error) when
  // `throws`, otherwise completes normally.
  std::function<void()> run;
  bool throws;
};

std::ostream& operator<<(std::ostream& out, const injection& i) {
  return out << i.name;
}

class ReliabilityFdInjected : public ::testing::TestWithParam<injection> {};

TEST_P(ReliabilityFdInjected, ClearErrorAndNothingLeaks) {
  const injection& c = GetParam();
  const int fds = mpt::open_fd_count();
  sys::inject_failure(c.call, c.error, 1, c.after);
  std::error_code code = thrown_by(c.run);
  sys::clear_injected_failures();
  if (c.throws) {
    EXPECT_EQ(code, std::error_code(c.error, std::generic_category()));
  } else {
    EXPECT_FALSE(code) << code.message();
  }
  EXPECT_EQ(mpt::open_fd_count(), fds);
  EXPECT_EQ(mpt::find_zombie_child(), 0);
  EXPECT_TRUE(mp::active_children().empty());
  // And everything works again.
  mp::process p([] {});
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(mp::call(square, 3), 9);
}

void start_and_join() {
  mp::process p([] { mp::exit(3); });
  p.start();
  p.join();
  if (p.exitcode() != 3) throw std::runtime_error("wrong exit code");
}
void async_square() { (void)mp::call(square, 2); }
void pool_of_three() {
  mp::pool workers(with_processes(3));
  (void)workers.apply(square, 2);
}
// A result large enough to be mapped rather than read (over 4 KiB). The
// injection is armed after the child has ended, so only get() meets it.
void large_result_with(sys::call call, int error) {
  auto f = mp::async(big, 100'000);
  f.wait();
  sys::inject_failure(call, error);
  (void)f.get();
}
void kill_on_parent_death_child() {
  mp::process p(mpt::killed_with_parent(), [] {});
  p.start();
  p.join();
}

INSTANTIATE_TEST_SUITE_P(
    EveryCall, ReliabilityFdInjected,
    ::testing::Values(
        // process::start(): the child's pidfd.
        injection{"pidfd_open_start", sys::call::pidfd_open, EMFILE, 0,
                  start_and_join, true},
        // The proof that the pidfd is our child's (waitid WNOWAIT).
        injection{"waitid_proof_start", sys::call::waitid, EINVAL, 0,
                  start_and_join, true},
        // The killed child's reaping is retried through EINTR.
        injection{"waitpid_after_failed_pidfd", sys::call::pidfd_open, EMFILE,
                  0,
                  [] {
                    sys::inject_failure(sys::call::waitpid, EINTR);
                    start_and_join();
                  },
                  true},
        // async(): the result channel, and the child's pidfd.
        injection{"memfd_create_async", sys::call::memfd_create, EMFILE, 0,
                  async_square, true},
        injection{"pidfd_open_async", sys::call::pidfd_open, EMFILE, 0,
                  async_square, true},
        // get(): reading and mapping a large result.
        injection{"pread_get", sys::call::pread, EIO, 0,
                  [] { large_result_with(sys::call::pread, EIO); }, true},
        injection{"fstat_get", sys::call::fstat, EIO, 0,
                  [] { large_result_with(sys::call::fstat, EIO); }, true},
        injection{"mmap_get", sys::call::mmap, ENOMEM, 0,
                  [] { large_result_with(sys::call::mmap, ENOMEM); }, true},
        // pool: the wake-up eventfd, and the third worker's socket pair,
        // slot page and pidfd.
        injection{"eventfd_pool", sys::call::eventfd, EMFILE, 0, pool_of_three,
                  true},
        injection{"socketpair_pool", sys::call::socketpair, EMFILE, 2,
                  pool_of_three, true},
        injection{"mmap_pool", sys::call::mmap, ENOMEM, 2, pool_of_three, true},
        injection{"pidfd_open_pool", sys::call::pidfd_open, EMFILE, 2,
                  pool_of_three, true},
        // In the child (the injection is inherited through fork): stdin
        // cannot be pointed at /dev/null; the child keeps the inherited
        // one and runs normally.
        injection{"open_dev_null_in_child", sys::call::open, EMFILE, 0,
                  start_and_join, false},
        injection{"dup2_stdin_in_child", sys::call::dup2, EBADF, 0,
                  start_and_join, false},
        // kill_on_parent_death from a thread: the anchor thread forks.
        injection{"pidfd_open_anchor_thread", sys::call::pidfd_open, EMFILE, 0,
                  [] {
                    std::exception_ptr error;
                    std::thread([&] {
                      try {
                        kill_on_parent_death_child();
                      } catch (...) {
                        error = std::current_exception();
                      }
                    }).join();
                    if (error) std::rethrow_exception(error);
                  },
                  true}),
    [](const ::testing::TestParamInfo<injection>& param_info) {
      std::string name;
      bool upper = true;
      for (const char* c = param_info.param.name; *c != '\0'; ++c) {
        if (*c == '_') {
          upper = true;
        } else {
          name += upper ? static_cast<char>(std::toupper(*c)) : *c;
          upper = false;
        }
      }
      return name;
    });

// The child cannot write its result (pwrite fails in the child, where the
// injection is inherited): get() reports process_died with code 1, never a
// torn value.
TEST(ReliabilityFd, ResultWriteFailureInTheChildIsProcessDied) {
  sys::inject_failure(sys::call::pwrite, ENOSPC, 1'000);
  auto f = mp::async(square, 7);
  sys::clear_injected_failures();  // the child keeps its own copy
  try {
    (void)f.get();
    ADD_FAILURE() << "get() returned a value the child could not write";
  } catch (const mp::process_died& e) {
    EXPECT_EQ(e.exitcode(), 1);
  }
}

// No POSIX timer for the child's timeout (timer_create fails in the
// child): a watchdog thread enforces it instead.
TEST(ReliabilityFd, TimerFailureInTheChildStillEnforcesTheTimeout) {
  sys::inject_failure(sys::call::timer_create, EAGAIN);
  mp::async_options options;
  options.timeout = 200ms;
  auto f = mp::async(options, [] {
    std::this_thread::sleep_for(100s);
    return 0;
  });
  sys::clear_injected_failures();
  EXPECT_THROW((void)f.get(), mp::timeout_error);
}

// Polling fails (ppoll) or reaping fails (waitid): join() and is_alive()
// throw system_error, and the next call works.
TEST(ReliabilityFd, WaitFailuresThrowAndTheNextWaitWorks) {
  mpt::pipe_pair release;
  mp::process p([&] {
    release.close_write();
    mpt::block_until_released(release.read_end());
  });
  mpt::kill_on_exit guard{p};
  p.start();
  release.close_read();
  sys::inject_failure(sys::call::ppoll, ENOMEM);
  EXPECT_EQ(thrown_by([&] { p.join(10s); }), std::errc::not_enough_memory);
  sys::inject_failure(sys::call::waitid, EINVAL);
  EXPECT_EQ(thrown_by([&] { (void)p.is_alive(); }),
            std::errc::invalid_argument);
  sys::clear_injected_failures();
  EXPECT_TRUE(p.is_alive());
  release.close_write();
  EXPECT_TRUE(p.join(60s));
  EXPECT_EQ(p.exitcode(), 0);
}

// Someone else reaped the child and the kernel's record of its status
// cannot be read (PIDFD_GET_INFO fails, as on kernels before 6.15): it is
// still seen as ended, with the documented code 255, never alive forever.
TEST(ReliabilityFd, UnreadableStatusOfAForeignReapedChildIs255) {
  mp::process p([] { mp::exit(7); });
  p.start();
  std::vector<mp::process> one{p};
  ASSERT_EQ(mp::wait(one, 60s).size(), 1U);
  int status = 0;
  ASSERT_EQ(::waitpid(*p.pid(), &status, 0), *p.pid());
  sys::inject_failure(sys::call::ioctl, ENOTTY);
  EXPECT_FALSE(p.is_alive());
  sys::clear_injected_failures();
  EXPECT_EQ(p.exitcode(), 255);
  p.join();
}

}  // namespace
