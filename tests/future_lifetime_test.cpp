// How a future ends without a value: crashes, exits, timeouts, cancel(),
// destruction. The leak guard checks after each test that no zombie and no
// fd is left behind.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>
#include <vector>

#include "support/leak_guard.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

// A result whose encoding writes a large block, then misbehaves in the
// middle of the transfer.
enum class misbehaviour { crash, exit_zero, stall };
struct half_written {
  misbehaviour how;
};

// Sanitizers install their own SIGSEGV handler (report, exit 1): restore
// the default so the child dies of the signal as it would in production.
void crash() {
  ::signal(SIGSEGV, SIG_DFL);
  ::raise(SIGSEGV);
}

bool reaped(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

template <class R>
int died_code(mp::future<R>& f) {
  try {
    f.get();
  } catch (const mp::process_died& e) {
    return e.exitcode();
  }
  return 1000;
}

}  // namespace

template <>
struct multiproc::codec<half_written> {
  static void encode(encoder& out, const half_written& value) {
    std::vector<std::byte> block(32u << 20, std::byte{1});
    out.write(block);  // goes straight into the channel
    switch (value.how) {
      case misbehaviour::crash:
        crash();
        break;
      case misbehaviour::exit_zero:
        ::_exit(0);
      case misbehaviour::stall:
        std::this_thread::sleep_for(30s);
        break;
    }
    out.write(block);
  }
  static half_written decode(decoder& in) {
    in.read<std::vector<std::byte>>();
    in.read<std::vector<std::byte>>();
    return {misbehaviour::crash};
  }
};

TEST(FutureLifetime, CrashGivesProcessDiedWithSignalName) {
  auto f = mp::async([]() -> int {
    crash();
    return 1;
  });
  try {
    f.get();
    FAIL();
  } catch (const mp::process_died& e) {
    EXPECT_EQ(e.exitcode(), -SIGSEGV);
    EXPECT_STREQ(e.what(), "process died with exit code -11 (SIGSEGV)");
  }
}

TEST(FutureLifetime, ExitWithoutResultGivesProcessDied) {
  auto f = mp::async([]() -> int { ::_exit(3); });
  EXPECT_EQ(died_code(f), 3);
  auto g = mp::async([]() -> int { mp::exit(5); });
  EXPECT_EQ(died_code(g), 5);
  auto h = mp::async([] { ::_exit(0); });
  EXPECT_EQ(died_code(h), 0);
  auto k = mp::async([]() -> std::string { mp::exit(0); });
  try {
    k.get();
    FAIL();
  } catch (const mp::process_died& e) {
    EXPECT_EQ(e.exitcode(), 0);
    EXPECT_STREQ(e.what(), "process died with exit code 0");
  }
}

TEST(FutureLifetime, KilledFromOutsideGivesProcessDied) {
  auto f = mp::async([] {
    std::this_thread::sleep_for(30s);
    return 0;
  });
  f.process().terminate();
  EXPECT_EQ(died_code(f), -SIGTERM);
}

TEST(FutureLifetime, CrashMidWriteNeverGivesAValue) {
  auto f = mp::async([] { return half_written{misbehaviour::crash}; });
  EXPECT_EQ(died_code(f), -SIGSEGV);
  auto g = mp::async([] { return half_written{misbehaviour::exit_zero}; });
  EXPECT_EQ(died_code(g), 0);
}

TEST(FutureLifetime, TimeoutKillsAndReapsTheChild) {
  mp::testing::stopwatch watch;
  auto f = mp::async({.name = "", .timeout = 200ms}, [] {
    std::this_thread::sleep_for(30s);
    return 1;
  });
  const pid_t pid = *f.process().pid();
  try {
    f.get();
    FAIL();
  } catch (const mp::timeout_error& e) {
    EXPECT_EQ(e.timeout(), 200ms);
    EXPECT_STREQ(e.what(), "process timed out after 0.2s and was killed");
  }
  EXPECT_GE(watch.elapsed(), 190ms);
  EXPECT_LE(watch.elapsed(), mp::testing::late_bound(200ms));
  EXPECT_TRUE(reaped(pid));
}

TEST(FutureLifetime, TimeoutKillsEvenWhenNobodyWaits) {
  auto f = mp::async({.name = "", .timeout = 100ms}, [] {
    std::this_thread::sleep_for(30s);
    return 1;
  });
  std::this_thread::sleep_for(mp::testing::late_bound(100ms));
  // Nobody waited, yet the child has ended: a poll finds it ready.
  EXPECT_EQ(f.wait_for(0s), std::future_status::ready);
  EXPECT_EQ(f.process().exitcode(), -SIGKILL);
  EXPECT_THROW(f.get(), mp::timeout_error);
}

TEST(FutureLifetime, TimeoutDuringALargeTransfer) {
  auto f = mp::async({.name = "", .timeout = 300ms},
                     [] { return half_written{misbehaviour::stall}; });
  EXPECT_THROW(f.get(), mp::timeout_error);
}

TEST(FutureLifetime, ZeroTimeoutTimesOutAtOnce) {
  auto f = mp::async({.name = "", .timeout = 0ns}, [] {
    std::this_thread::sleep_for(30s);
    return 1;
  });
  EXPECT_THROW(f.get(), mp::timeout_error);
}

TEST(FutureLifetime, ResultBeforeTheTimeoutIsKept) {
  auto f = mp::async({.name = "", .timeout = 10s}, [] { return 8; });
  EXPECT_EQ(f.get(), 8);
}

TEST(FutureLifetime, CancelKillsAndReaps) {
  auto f = mp::async([] {
    std::this_thread::sleep_for(30s);
    return 1;
  });
  const pid_t pid = *f.process().pid();
  EXPECT_TRUE(f.cancel());
  EXPECT_TRUE(reaped(pid));
  EXPECT_EQ(f.wait_for(0s), std::future_status::ready);
  EXPECT_TRUE(f.cancel());  // still cancelled
  try {
    f.get();
    FAIL();
  } catch (const mp::cancelled_error& e) {
    EXPECT_STREQ(e.what(), "future was cancelled");
  }
}

TEST(FutureLifetime, CancelAfterTheResultReturnsFalse) {
  auto f = mp::async([] { return 4; });
  f.wait();
  EXPECT_FALSE(f.cancel());
  EXPECT_EQ(f.get(), 4);
}

TEST(FutureLifetime, CancelFromAnotherThreadWhileGetWaits) {
  auto f = mp::async([] {
    std::this_thread::sleep_for(30s);
    return 1;
  });
  std::thread canceller([&f] {
    std::this_thread::sleep_for(100ms);
    f.cancel();
  });
  EXPECT_THROW(f.get(), mp::cancelled_error);
  canceller.join();
}

TEST(FutureLifetime, DestructorKillsAndReapsARunningChild) {
  pid_t pid = 0;
  mp::testing::stopwatch watch;
  {
    auto f = mp::async([] {
      std::this_thread::sleep_for(30s);
      return 1;
    });
    pid = *f.process().pid();
  }
  EXPECT_TRUE(reaped(pid));
  EXPECT_LE(watch.elapsed(), mp::testing::late_bound(0ms));
}

TEST(FutureLifetime, DestructorReapsAFinishedChild) {
  pid_t pid = 0;
  {
    auto f = mp::async([] { return 1; });
    pid = *f.process().pid();
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(reaped(pid));
}

TEST(FutureLifetime, MoveAssignmentKillsTheOverwrittenChild) {
  auto f = mp::async([] {
    std::this_thread::sleep_for(30s);
    return 1;
  });
  const pid_t pid = *f.process().pid();
  f = mp::async([] { return 2; });
  EXPECT_TRUE(reaped(pid));
  EXPECT_EQ(f.get(), 2);
}

TEST(FutureLifetime, ProcessHandleOutlivesTheFuture) {
  mp::process handle;
  {
    auto f = mp::async([] { return 1; });
    handle = f.process();
    EXPECT_EQ(f.get(), 1);
  }
  EXPECT_FALSE(handle.is_alive());
  EXPECT_EQ(handle.exitcode(), 0);
}

TEST(FutureLifetime, JoiningThroughTheHandleIsAllowed) {
  auto f = mp::async([] { return 6; });
  f.process().join();
  EXPECT_EQ(f.get(), 6);
}

TEST(FutureLifetime, AsyncInADaemonIsAUsageError) {
  mp::process daemon_child([] {
    try {
      mp::call([] { return 1; });
    } catch (const mp::usage_error&) {
      mp::exit(7);
    }
    mp::exit(1);
  });
  daemon_child.set_daemon(true);
  daemon_child.start();
  daemon_child.join();
  EXPECT_EQ(daemon_child.exitcode(), 7);
}

TEST(FutureLifetime, OutOfFdsThrowsSystemErrorAndLeavesNoChild) {
#if defined(__SANITIZE_ADDRESS__)
  // UBSan's vptr check probes memory through a pipe, which it cannot make
  // with every fd taken, and then reports a false error.
  GTEST_SKIP() << "sanitizer runtime needs free fds";
#endif
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  const int in_use = mp::testing::open_fd_count();
  rlimit low = old;
  low.rlim_cur = static_cast<rlim_t>(in_use + 3);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> hogs;
  for (;;) {
    int fd = ::dup(0);
    if (fd < 0) break;
    hogs.push_back(fd);
  }
  EXPECT_THROW(mp::async([] { return 1; }), std::system_error);
  for (int fd : hogs) ::close(fd);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old), 0);
  EXPECT_EQ(mp::call([] { return 1; }), 1);
}
