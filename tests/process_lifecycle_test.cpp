// The life of a process object: construction, arguments, start, the child's
// view of itself, end, close. Spec §7 cases 1–3, 6, 7, 12, 15–18, 20–22, 24,
// 53 (adapted to C++: no authkey, no pickling, no kwargs).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio_ext.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <iostream>
#include <memory>
#include <multiproc/multiproc.hpp>
#include <streambuf>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "support/child_io.hpp"
#include "support/leak_guard.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

// spec §7 case 1. Adapted: no authkey to check.
TEST(ProcessCurrent, MainProcessIsAliveNotDaemonWithOwnPid) {
  mp::process self = mp::current_process();
  EXPECT_TRUE(self.is_alive());
  EXPECT_FALSE(self.daemon());
  EXPECT_EQ(self.pid(), ::getpid());
  EXPECT_EQ(self.exitcode(), std::nullopt);
  EXPECT_EQ(self.name(), "MainProcess");
}

// spec §7 case 2. Adapted: Python passes args as a list or a tuple; here the
// values (1, "str", [1], (1,)) arrive as int, std::string, std::vector and
// std::tuple copies, by fork, with no serialization.
TEST(ProcessArgs, ChildReceivesIdenticalArgumentValues) {
  mp::process p(
      [](int one, const std::string& text, const std::vector<int>& list,
         std::tuple<int> tuple) {
        bool same = one == 1 && text == "str" && list == std::vector<int>{1} &&
                    tuple == std::tuple<int>{1};
        mp::exit(same ? 0 : 1);
      },
      1, std::string("str"), std::vector<int>{1}, std::tuple<int>{1});
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// Beyond Python: a move-only argument (nothing is pickled) reaches the child.
TEST(ProcessArgs, MoveOnlyArgumentReachesTheChild) {
  auto value = std::make_unique<int>(41);
  mp::process p([](std::unique_ptr<int>& v) { mp::exit(*v + 1); },
                std::move(value));
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 42);
}

// spec §7 case 3: the default daemon flag is the creator's (false in main,
// true inside a daemon child); an explicit flag wins.
TEST(ProcessDaemon, DefaultInheritsTheCreatorsFlag) {
  EXPECT_FALSE(mp::process().daemon());
  EXPECT_TRUE(mp::process(mpt::daemonic(true)).daemon());
  EXPECT_FALSE(mp::process(mpt::daemonic(false)).daemon());

  mp::process daemon_child(mpt::daemonic(true), [] {
    bool inherited = mp::process().daemon();
    bool explicit_false = mp::process(mpt::daemonic(false)).daemon();
    mp::exit((inherited ? 1 : 0) | (explicit_false ? 2 : 0));
  });
  daemon_child.start();
  daemon_child.join();
  EXPECT_EQ(daemon_child.exitcode(), 1);  // inherited true, explicit false
}

// spec §7 case 6. Adapted: no kwargs or authkey; the child reports its args,
// name, daemon flag and pid through a pipe while it is held running.
TEST(ProcessLifecycle, StateBeforeDuringAndAfterRun) {
  mpt::pipe_pair report, release;
  mp::process p(
      mpt::daemonic(true, "SomeProcess"),
      [&](int number, const std::string& word) {
        release.close_write();
        report.close_read();
        mp::process me = mp::current_process();
        mpt::write_all(report.write_end(),
                       std::to_string(number) + " " + word + " " + me.name() +
                           " " + (me.daemon() ? "daemon" : "not-daemon") + " " +
                           std::to_string(me.pid().value_or(-1)) + " " +
                           std::to_string(::getpid()) + "\n");
        mpt::block_until_released(release.read_end());
      },
      7, std::string("word"));
  mpt::kill_on_exit guard{p};

  EXPECT_FALSE(p.is_alive());
  EXPECT_FALSE(mpt::contains(mp::active_children(), p));
  EXPECT_EQ(p.exitcode(), std::nullopt);
  EXPECT_EQ(p.pid(), std::nullopt);

  p.start();
  report.close_write();
  release.close_read();
  EXPECT_EQ(p.exitcode(), std::nullopt);
  EXPECT_TRUE(p.is_alive());
  EXPECT_TRUE(mpt::contains(mp::active_children(), p));
  ASSERT_TRUE(p.pid().has_value());
  std::string pid = std::to_string(*p.pid());
  EXPECT_EQ(mpt::read_line(report.read_end()),
            "7 word SomeProcess daemon " + pid + " " + pid);

  release.close_write();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_FALSE(p.is_alive());
  EXPECT_FALSE(mpt::contains(mp::active_children(), p));
}

// spec §7 case 7: the child's main thread is a new thread of its own.
TEST(ProcessLifecycle, ChildMainThreadHasItsOwnNativeId) {
  mpt::shared<std::atomic<long>> child_tid;
  mp::process p([&] { *child_tid = ::syscall(SYS_gettid); });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_NE(child_tid->load(), 0);
  EXPECT_NE(child_tid->load(), ::syscall(SYS_gettid));
  EXPECT_EQ(child_tid->load(), static_cast<long>(*p.pid()));
}

// spec §7 case 12. Beyond Python: the count follows the affinity mask.
TEST(ProcessLifecycle, CpuCountIsAtLeastOneAndFollowsAffinity) {
  unsigned count = mp::cpu_count();
  EXPECT_GE(count, 1U);
  EXPECT_LE(count, static_cast<unsigned>(::sysconf(_SC_NPROCESSORS_CONF)));

  // Pinning is done in a child so this test process keeps its CPUs.
  mp::process pinned([] {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (::sched_getaffinity(0, sizeof set, &set) != 0) mp::exit(10);
    std::size_t first = 0;
    while (!CPU_ISSET(first, &set)) ++first;
    CPU_ZERO(&set);
    CPU_SET(first, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) mp::exit(11);
    mp::exit(static_cast<int>(mp::cpu_count()));
  });
  pinned.start();
  pinned.join();
  EXPECT_EQ(pinned.exitcode(), 1);
}

// spec §7 case 15: not started → error; running → not ready; ended → ready,
// and readiness does not reap.
TEST(ProcessLifecycle, SentinelIsReadableExactlyWhenTheChildHasEnded) {
  mpt::pipe_pair release;
  mp::process p([&] {
    release.close_write();
    mpt::block_until_released(release.read_end());
  });
  mpt::kill_on_exit guard{p};
  try {
    (void)p.sentinel();
    ADD_FAILURE() << "sentinel() before start() did not throw";
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(), "process not started");
  }
  p.start();
  release.close_read();
  pollfd running{p.sentinel(), POLLIN, 0};
  EXPECT_EQ(::poll(&running, 1, 0), 0);

  release.close_write();
  pollfd ended{p.sentinel(), POLLIN, 0};
  EXPECT_EQ(::poll(&ended, 1, 30'000), 1);
  // Readable, not reaped: the zombie is still there for join() to collect.
  EXPECT_EQ(mpt::find_zombie_child(), *p.pid());
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(mpt::find_zombie_child(), 0);
}

// spec §7 case 16: close() refused while running, then fine after join;
// everything but name/daemon is refused after it; close() is idempotent and
// dropping the last handle afterwards is harmless.
TEST(ProcessLifecycle, CloseIsRefusedWhileRunningThenReleasesTheHandle) {
  mpt::pipe_pair release;
  auto p = std::make_unique<mp::process>([&] {
    release.close_write();
    mpt::block_until_released(release.read_end());
  });
  mpt::kill_on_exit guard{*p};
  p->start();
  release.close_read();
  try {
    p->close();
    ADD_FAILURE() << "close() of a running process did not throw";
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(),
                 "Cannot close a process while it is still running. You "
                 "should first call join() or terminate().");
  }
  release.close_write();
  p->join();
  EXPECT_EQ(p->exitcode(), 0);
  p->close();
  for (auto use : {+[](mp::process& q) { (void)q.is_alive(); },
                   +[](mp::process& q) { q.join(); },
                   +[](mp::process& q) { q.terminate(); }}) {
    try {
      use(*p);
      ADD_FAILURE() << "use after close() did not throw";
    } catch (const mp::usage_error& e) {
      EXPECT_STREQ(e.what(), "process object is closed");
    }
  }
  p->close();  // a no-op the second time
  std::weak_ptr<mp::detail::process_state> state = p->state();
  p.reset();
  EXPECT_TRUE(state.expired() || state.use_count() <= 1);
}

// spec §7 case 17 (fork: N = 100). All exit 0; then 100 sleepers terminated
// at once all report -SIGTERM.
TEST(ProcessLifecycle, HundredChildrenAllExitZeroThenAllTerminate) {
  constexpr int kCount = 100;
  std::vector<mp::process> quick;
  for (int i = 0; i < kCount; ++i) {
    quick.emplace_back([] { std::this_thread::sleep_for(10ms); });
  }
  for (auto& p : quick) p.start();
  for (auto& p : quick) p.join();
  for (auto& p : quick) EXPECT_EQ(p.exitcode(), 0);

  std::vector<mp::process> sleepers;
  for (int i = 0; i < kCount; ++i) {
    sleepers.emplace_back([] { std::this_thread::sleep_for(100s); });
  }
  mpt::kill_on_exit guard(sleepers);
  for (auto& p : sleepers) p.start();
  for (auto& p : sleepers) p.terminate();
  for (auto& p : sleepers) p.join();
  for (auto& p : sleepers) EXPECT_EQ(p.exitcode(), -SIGTERM);
}

// spec §7 case 18. Adapted: Python checks with a weakref that the parent
// dropped the target; here the target holds a shared_ptr, and after start()
// the parent holds no copy of it (CPython bpo-30775).
TEST(ProcessLifecycle, ParentDropsItsCopyOfTheTargetAtStart) {
  mpt::shared<std::atomic<int>> posted;
  auto token = std::make_shared<int>(5);
  std::weak_ptr<int> watch = token;
  mp::process p([&posted, token] { *posted = *token; });
  token.reset();
  EXPECT_FALSE(watch.expired());  // the process object holds the target
  p.start();
  EXPECT_TRUE(watch.expired());
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(posted->load(), 5);
}

// spec §7 case 20. Adapted: C++ has no daemon threads. A thread run() joins
// (Python's non-daemon thread) finishes before the child ends; a detached
// thread (Python's daemon thread) does not keep the child alive.
TEST(ProcessLifecycle,
     ChildEndsAfterRunReturnsWithoutWaitingForDetachedThreads) {
  mpt::shared<std::atomic<int>> event;
  mp::process p([&] {
    std::thread worker([&] {
      std::this_thread::sleep_for(300ms);
      *event = 1;
    });
    std::thread([&] {
      std::this_thread::sleep_for(60s);
      *event = 0;
    }).detach();
    worker.join();
  });
  mpt::stopwatch clock;
  p.start();
  ASSERT_TRUE(p.join(30s));
  EXPECT_LT(clock.elapsed(), 30s);
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(event->load(), 1);
}

// A stream buffer that holds output until it is flushed, then fails.
class failing_buffer : public std::streambuf {
 public:
  failing_buffer() { setp(buffer_, buffer_ + sizeof buffer_); }

 private:
  char buffer_[256];

 protected:
  int_type overflow(int_type) override { return traits_type::eof(); }
  int sync() override { return -1; }
};

// spec §7 case 21. Adapted: Python replaces sys.stdout with a closed stream
// or None. Here the parent's fds 1 and 2 cannot be written (read-only
// /dev/null) with output pending in stdout, and std::cout throws on failure.
// start() must still work and the child must still exit 0.
TEST(ProcessLifecycle, BrokenParentStdioDoesNotChangeTheExitcode) {
  std::fflush(stdout);
  std::fflush(stderr);
  int saved_out = ::dup(STDOUT_FILENO);
  int saved_err = ::dup(STDERR_FILENO);
  int read_only = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  ASSERT_GE(read_only, 0);
  ::dup2(read_only, STDOUT_FILENO);
  ::dup2(read_only, STDERR_FILENO);
  failing_buffer broken;
  std::streambuf* old_cout = std::cout.rdbuf(&broken);
  std::cout.exceptions(std::ios::badbit);
  std::fputs("pending output without a newline", stdout);
  std::cout << "pending iostream output";  // buffered: fails only on flush

  std::optional<int> code;
  std::string error;
  try {
    mp::process p([] {});  // the library flushes at start and at the end
    p.start();
    p.join();
    code = p.exitcode();
  } catch (const std::exception& e) {
    error = e.what();
  }

  std::cout.exceptions(std::ios::goodbit);
  std::cout.clear();
  std::cout.rdbuf(old_cout);
  __fpurge(stdout);
  clearerr(stdout);
  clearerr(stderr);
  ::dup2(saved_out, STDOUT_FILENO);
  ::dup2(saved_err, STDERR_FILENO);
  ::close(saved_out);
  ::close(saved_err);
  ::close(read_only);
  EXPECT_EQ(error, "");
  EXPECT_EQ(code, 0);
}

// spec §7 case 22. Adapted: the child closes fds 1 and 2 (with output still
// buffered) and detaches std::cout from its buffer: exit code 0 regardless.
TEST(ProcessLifecycle, ChildClosingItsOwnStdioStillExitsZero) {
  mp::process p([] {
    std::fputs("buffered, never flushed", stdout);
    std::cerr.rdbuf(nullptr);
    std::cout.rdbuf(nullptr);
    ::close(STDOUT_FILENO);
    ::close(STDERR_FILENO);
  });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// spec §7 case 24: a subclass overrides run() to serve over pipes.
class echo_upper : public mp::process {
 public:
  echo_upper(mpt::pipe_pair& requests, mpt::pipe_pair& replies)
      : requests_(requests), replies_(replies) {}

  void run() override {
    requests_.close_write();
    replies_.close_read();
    while (auto line = mpt::read_line(requests_.read_end())) {
      for (char& c : *line) c = static_cast<char>(std::toupper(c));
      mpt::write_all(replies_.write_end(), *line + "\n");
    }
  }

 private:
  mpt::pipe_pair& requests_;
  mpt::pipe_pair& replies_;
};

TEST(ProcessSubclass, OverriddenRunServesRequestsInTheChild) {
  mpt::pipe_pair requests, replies;
  echo_upper server(requests, replies);
  mpt::kill_on_exit guard{server};
  server.start();
  requests.close_read();
  replies.close_write();
  mpt::write_all(requests.write_end(), "hello\n");
  EXPECT_EQ(mpt::read_line(replies.read_end()), "HELLO");
  mpt::write_all(requests.write_end(), "world\n");
  EXPECT_EQ(mpt::read_line(replies.read_end()), "WORLD");
  requests.close_write();
  server.join();
  EXPECT_EQ(server.exitcode(), 0);
}

// API.md "Subclasses": a copy of a subclass object is a plain handle to the
// same child: it can join and signal it.
TEST(ProcessSubclass, CopyIsAPlainHandleThatJoinsAndSignals) {
  mpt::pipe_pair requests, replies;
  echo_upper server(requests, replies);
  mpt::kill_on_exit guard{server};
  server.start();
  requests.close_read();
  replies.close_write();
  mp::process handle = server;
  EXPECT_TRUE(handle.is_alive());
  EXPECT_EQ(handle.pid(), server.pid());
  handle.terminate();
  handle.join();
  EXPECT_EQ(handle.exitcode(), -SIGTERM);
  EXPECT_EQ(server.exitcode(), -SIGTERM);
  EXPECT_FALSE(server.is_alive());
}

// spec §7 case 53: a joined process holds at most one fd until close().
TEST(ProcessLifecycle, CloseAfterJoinReturnsFdCountToBaseline) {
  int baseline = mpt::open_fd_count();
  std::vector<mp::process> children;
  for (int i = 0; i < 5; ++i) children.emplace_back([] {});
  for (auto& p : children) p.start();
  for (auto& p : children) p.join();
  EXPECT_LE(mpt::open_fd_count(), baseline + 5);
  for (auto& p : children) p.close();
  EXPECT_EQ(mpt::open_fd_count(), baseline);
}

// API.md start(): in the child, stdin reads from /dev/null.
TEST(ProcessLifecycle, ChildStdinIsAtEndOfFile) {
  mp::process p([] {
    char c;
    bool eof_fd = ::read(STDIN_FILENO, &c, 1) == 0;
    bool eof_stdio = std::getchar() == EOF;
    mp::exit(eof_fd && eof_stdio ? 0 : 1);
  });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// API.md start(): stdout is flushed before fork, so output the parent had
// buffered is not written a second time by the child.
TEST(ProcessLifecycle, StartFlushesParentOutputSoItIsNotDuplicated) {
  mpt::pipe_pair captured;
  std::fflush(stdout);
  std::cout.flush();
  int saved = ::dup(STDOUT_FILENO);
  ::dup2(captured.write_end(), STDOUT_FILENO);
  std::fputs("parent-before-start;", stdout);
  std::cout << "cout-before-start;";
  mp::process p([] { std::fputs("child;", stdout); });
  p.start();
  p.join();
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  captured.close_write();
  EXPECT_EQ(mpt::read_all(captured.read_end()),
            "parent-before-start;cout-before-start;child;");
  EXPECT_EQ(p.exitcode(), 0);
}

// Another thread of the parent writing between start()'s flush and the
// fork: a pthread_atfork handler writes at exactly that point. The child
// must not write the parent's text again when it ends (seen in a pool
// example under TSan: the caller's "still serving: " printed twice).
std::atomic<bool> g_write_at_fork{false};

TEST(ProcessLifecycle, OutputWrittenAtTheForkIsNotWrittenAgainByTheChild) {
  static const int registered = ::pthread_atfork(
      [] {
        if (g_write_at_fork.load()) std::fputs("parent-at-fork;", stdout);
      },
      nullptr, nullptr);
  ASSERT_EQ(registered, 0);
  mpt::pipe_pair captured;
  std::fflush(stdout);
  int saved = ::dup(STDOUT_FILENO);
  ::dup2(captured.write_end(), STDOUT_FILENO);
  g_write_at_fork = true;
  mp::process p([] { std::fputs("child;", stdout); });
  p.start();
  g_write_at_fork = false;
  p.join();
  std::fflush(stdout);
  ::dup2(saved, STDOUT_FILENO);
  ::close(saved);
  captured.close_write();
  EXPECT_EQ(mpt::read_all(captured.read_end()), "child;parent-at-fork;");
  EXPECT_EQ(p.exitcode(), 0);
}

}  // namespace
