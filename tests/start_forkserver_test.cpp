// The forkserver itself (API.md Part 5, "The forkserver"): what it is to
// its process (a kernel child that is not a `process`, never a zombie),
// to its children (their kernel parent), and what survives its death.
// Part 1 under forkserver is the typed suite in start_process_test.cpp.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <memory>
#include <multiproc/multiproc.hpp>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "launch/forkserver_client.hpp"
#include "launch/launcher_for.hpp"
#include "launch/portable_request.hpp"
#include "posix/sys.hpp"
#include "start/portable_start.hpp"
#include "support/run_helper.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
using multiproc::testing::late_bound;
using namespace std::chrono_literals;

namespace {

mp::process_options under_forkserver() {
  mp::process_options options;
  options.start_method = mp::start_method::forkserver;
  return options;
}

void exit_with(int code) { mp::exit(code); }
void sleep_long() { std::this_thread::sleep_for(60s); }
void sleep_then_exit(int ms, int code) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  mp::exit(code);
}

void check_kernel_parent(int server) {
  mp::exit(::getppid() == static_cast<pid_t>(server) ? 0 : 1);
}

void check_caller_context(std::string variable, std::string cwd, int mask) {
  const char* value = std::getenv("MULTIPROC_FORKSERVER_TEST");
  if (value == nullptr || variable != value) mp::exit(10);
  char here[4096] = {};
  if (::getcwd(here, sizeof here) == nullptr || cwd != here) mp::exit(11);
  const mode_t now = ::umask(0);
  if (static_cast<int>(now) != mask) mp::exit(12);
  mp::exit(0);
}

// 0 when the child's environment is exactly `expected`, in order.
void check_environment(std::vector<std::string> expected) {
  std::size_t i = 0;
  for (char** entry = environ; *entry != nullptr; ++entry, ++i) {
    if (i == expected.size() || expected[i] != *entry) mp::exit(30);
  }
  mp::exit(i == expected.size() ? 0 : 31);
}

std::vector<std::string> environment_now() {
  std::vector<std::string> entries;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    entries.emplace_back(*entry);
  }
  return entries;
}

// 0 when SIGINT is at its default (the server ignores it), SIGUSR1 is
// ignored and SIGUSR2 blocked, as the caller had them at start().
void check_caller_signals() {
  struct sigaction action {};
  ::sigaction(SIGINT, nullptr, &action);
  if (action.sa_handler != SIG_DFL) mp::exit(20);
  ::sigaction(SIGUSR1, nullptr, &action);
  if (action.sa_handler != SIG_IGN) mp::exit(21);
  sigset_t blocked;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &blocked);
  if (sigismember(&blocked, SIGUSR2) != 1) mp::exit(22);
  mp::exit(0);
}

void check_size(std::string big, std::size_t size) {
  mp::exit(big.size() == size && big.front() == 'a' && big.back() == 'z' ? 0
                                                                         : 1);
}

// Writes "ok" on fd 7 (a passed fd) and exits with the number of open fds
// above 2 besides it and the library's pidfd of its creator.
void write_on_passed_fd() {
  if (::write(7, "ok", 2) != 2) mp::exit(100);
  int others = 0;
  for (int fd = 3; fd < 1024; ++fd) {
    if (fd == 7 || ::fcntl(fd, F_GETFD) < 0) continue;
    char link[64] = {};
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    const ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
    if (n > 0 && std::string(link).find("pidfd") != std::string::npos) continue;
    ++others;
  }
  mp::exit(others);
}

// True when `pid` is our child and has ended without being reaped.
bool is_zombie_child(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid), &info,
                  WEXITED | WNOHANG | WNOWAIT) == 0 &&
         info.si_pid == pid;
}

int run_child(mp::process_options options, void (*fn)(int), int arg) {
  mp::process child(options, fn, arg);
  child.start();
  child.join();
  return *child.exitcode();
}

// In a fork child of a process whose forkserver runs: 0 when a forkserver
// start works here and was served by a server of this process's own.
void start_under_forkserver_in_fork_child(int parents_server) {
  if (run_child(under_forkserver(), exit_with, 6) != 6) mp::exit(30);
  const pid_t mine = mp::detail::forkserver_pid();
  mp::exit(mine > 0 && mine != static_cast<pid_t>(parents_server) ? 0 : 31);
}

TEST(StartForkserver, ServerIsNotAnActiveChildAndNeverAZombie) {
  EXPECT_EQ(run_child(under_forkserver(), exit_with, 3), 3);
  const pid_t server = mp::detail::forkserver_pid();
  ASSERT_GT(server, 0);
  EXPECT_TRUE(mp::active_children().empty());
  EXPECT_EQ(::kill(server, 0), 0);  // alive
  EXPECT_FALSE(is_zombie_child(server));
  // One server per process: the next start uses the same one.
  EXPECT_EQ(run_child(under_forkserver(), exit_with, 4), 4);
  EXPECT_EQ(mp::detail::forkserver_pid(), server);
}

TEST(StartForkserver, ChildsKernelParentIsTheServer) {
  mp::get_context(mp::start_method::forkserver);  // started, not waited for
  EXPECT_EQ(run_child(under_forkserver(), exit_with, 0), 0);
  const pid_t server = mp::detail::forkserver_pid();
  EXPECT_EQ(run_child(under_forkserver(), check_kernel_parent,
                      static_cast<int>(server)),
            0);
}

TEST(StartForkserver, ChildTakesTheCallersContextAtStart) {
  // The server was started before these changed: the child must still
  // see them (Python's stale-environment gotcha, fixed).
  EXPECT_EQ(run_child(under_forkserver(), exit_with, 0), 0);
  char saved_cwd[4096] = {};
  ASSERT_NE(::getcwd(saved_cwd, sizeof saved_cwd), nullptr);
  ::setenv("MULTIPROC_FORKSERVER_TEST", "fresh", 1);
  ASSERT_EQ(::chdir("/tmp"), 0);
  const mode_t saved_mask = ::umask(027);
  char tmp[4096] = {};
  ASSERT_NE(::getcwd(tmp, sizeof tmp), nullptr);
  mp::process child(under_forkserver(), check_caller_context,
                    std::string("fresh"), std::string(tmp), 027);
  child.start();
  ::umask(saved_mask);
  ASSERT_EQ(::chdir(saved_cwd), 0);
  ::unsetenv("MULTIPROC_FORKSERVER_TEST");
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(StartForkserver, ChildHasTheCallersEnvironmentWhateverChanged) {
  // The child keeps the server's environment when it is the caller's, and
  // rebuilds it otherwise: unchanged, a variable gone, one changed in
  // place, and back as the server has it.
  const char* kName = "MULTIPROC_FORKSERVER_ENV_TEST";
  const auto child_sees_ours = [] {
    mp::process child(under_forkserver(), check_environment, environment_now());
    child.start();
    child.join();
    return child.exitcode() == 0;
  };
  ::setenv(kName, "server", 1);
  EXPECT_TRUE(child_sees_ours());
  const pid_t server = mp::detail::forkserver_pid();
  EXPECT_TRUE(child_sees_ours());
  ::unsetenv(kName);
  EXPECT_TRUE(child_sees_ours());
  ::setenv(kName, "servex", 1);
  EXPECT_TRUE(child_sees_ours());
  ::setenv(kName, "server", 1);
  EXPECT_TRUE(child_sees_ours());
  ::unsetenv(kName);
  EXPECT_TRUE(child_sees_ours());
  EXPECT_EQ(mp::detail::forkserver_pid(), server);
}

TEST(StartForkserver, ChildTakesTheCallersSignalsAtStart) {
  EXPECT_EQ(run_child(under_forkserver(), exit_with, 0), 0);
  ::signal(SIGUSR1, SIG_IGN);
  sigset_t usr2, saved;
  sigemptyset(&usr2);
  sigaddset(&usr2, SIGUSR2);
  ::pthread_sigmask(SIG_BLOCK, &usr2, &saved);
  mp::process child(under_forkserver(), check_caller_signals);
  child.start();
  ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  ::signal(SIGUSR1, SIG_DFL);
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(StartForkserver, MidSizedArgumentsTravelInThePayloadMemfd) {
  // 48 KiB: below the 64 KiB blocks that get a file of their own
  // (launch/argument_file.hpp), so they stay in the request, whose payload
  // is then past kInlinePayload (32 KiB) and goes to the server in a memfd.
  std::string mid(48 << 10, 'm');
  mid.front() = 'a';
  mid.back() = 'z';
  mp::process child(under_forkserver(), check_size, mid, mid.size());
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(StartForkserver, LargeArgumentsTravelInAMemfd) {
  // 3 MiB: in a file of their own, mapped by the child.
  std::string big(3 << 20, 'm');
  big.front() = 'a';
  big.back() = 'z';
  mp::process child(under_forkserver(), check_size, big, big.size());
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(StartForkserver, ServerKilledMidFlight) {
  // Children in flight when the server dies keep exact waits: their real
  // code where the kernel keeps it (Linux 6.15+), else 255. A child that
  // must die with its parent dies with the server. The next start makes a
  // new server, and the dead one is reaped, never left a zombie.
  mp::process running(under_forkserver(), sleep_then_exit, 300, 7);
  mp::process_options bound = under_forkserver();
  bound.kill_on_parent_death = true;
  mp::process follower(bound, sleep_long);
  running.start();
  follower.start();
  const pid_t server = mp::detail::forkserver_pid();
  ASSERT_GT(server, 0);
  ASSERT_EQ(::kill(server, SIGKILL), 0);
  EXPECT_TRUE(follower.join(late_bound(10s)));
  const int follower_code = follower.exitcode().value_or(0);
  EXPECT_TRUE(follower_code == -SIGKILL || follower_code == 255)
      << follower_code;
  EXPECT_TRUE(running.join(late_bound(10s)));
  const int running_code = running.exitcode().value_or(0);
  EXPECT_TRUE(running_code == 7 || running_code == 255) << running_code;
  EXPECT_FALSE(is_zombie_child(server));
  EXPECT_EQ(run_child(under_forkserver(), exit_with, 5), 5);
  EXPECT_NE(mp::detail::forkserver_pid(), server);
  EXPECT_TRUE(mp::active_children().empty());
}

TEST(StartForkserver, AForkChildStartsAServerOfItsOwn) {
  // The client is per process: a fork child's copy (its socket talks to
  // the parent's server) is abandoned and the child makes its own.
  ASSERT_EQ(run_child(under_forkserver(), exit_with, 5), 5);
  const pid_t server = mp::detail::forkserver_pid();
  ASSERT_GT(server, 0);
  mp::process_options forked;
  forked.start_method = mp::start_method::fork;
  EXPECT_EQ(run_child(forked, start_under_forkserver_in_fork_child,
                      static_cast<int>(server)),
            0);
  EXPECT_EQ(mp::detail::forkserver_pid(), server);
}

TEST(StartForkserver, ServerLostMidRequestLeavesTheStartUnstarted) {
  // The reply never comes (as when the server dies with the request): the
  // start throws std::system_error and stays unstarted; the server, no
  // longer trusted, is replaced by the next start.
  EXPECT_EQ(run_child(under_forkserver(), exit_with, 1), 1);
  const pid_t server = mp::detail::forkserver_pid();
  mp::process child(under_forkserver(), exit_with, 2);
  mp::detail::sys::inject_failure(mp::detail::sys::call::recvmsg, ECONNRESET);
  EXPECT_THROW(child.start(), std::system_error);
  EXPECT_EQ(child.pid(), std::nullopt);
  EXPECT_TRUE(mp::active_children().empty());
  EXPECT_FALSE(is_zombie_child(server));
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 2);
  EXPECT_NE(mp::detail::forkserver_pid(), server);
}

TEST(StartForkserver, PassedFdsAndOnlyThoseReachTheChild) {
  // The launcher seam directly (pools and async pass fds this way): a pipe
  // end placed at 7 by the server's child, nothing else beside 0-2.
  int ends[2];
  ASSERT_EQ(::pipe2(ends, O_CLOEXEC), 0);
  const int unpassed = ::open("/dev/null", O_RDONLY);  // no FD_CLOEXEC
  mp::process self(under_forkserver(), write_on_passed_fd);
  const std::vector<mp::detail::passed_fd> fds{{ends[1], 7}};
  mp::detail::portable_start portable;
  mp::detail::make_portable_start(self, *self.state(),
                                  mp::start_method::forkserver, "MainProcess",
                                  fds, portable);
  mp::detail::launch_request request;
  request.portable = &portable.request;
  request.fds = portable.fds;
  std::unique_ptr<mp::detail::child_handle> child;
  ASSERT_EQ(mp::detail::launcher_for(mp::start_method::forkserver)
                .launch(request, child),
            0);
  ::close(ends[1]);
  ::close(unpassed);
  char got[3] = {};
  EXPECT_EQ(::read(ends[0], got, 2), 2);
  EXPECT_STREQ(got, "ok");
  ::close(ends[0]);
  bool ended = false;
  ASSERT_EQ(child->wait(std::nullopt, ended), 0);
  mp::detail::child_status status;
  ASSERT_EQ(child->poll(status), 0);
  EXPECT_TRUE(status.ended);
  EXPECT_EQ(status.exitcode, 0);
  child->close();
}

TEST(StartForkserver, StartsFromEightThreadsAtOnce) {
  constexpr int kThreads = 8;
  std::vector<int> codes(kThreads, -1);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([i, &codes] {
      codes[static_cast<std::size_t>(i)] =
          run_child(under_forkserver(), exit_with, 10 + i);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < kThreads; ++i) {
    EXPECT_EQ(codes[static_cast<std::size_t>(i)], 10 + i);
  }
}

TEST(StartForkserverGuard, ThreadsAtTheGuardRefuseEveryStart) {
  const mp::testing::helper_result result =
      mp::testing::run_helper_at(MULTIPROC_FORKSERVER_HELPER, "threads");
  // Two threads, or more where a sanitizer's runtime added its own.
  const std::string before =
      "forkserver usage_error: the forkserver cannot start: the program has ";
  const std::string after =
      " threads at its first multiproc call; make "
      "multiproc::set_start_method() the first statement of main, or use "
      "'spawn'\n";
  const std::string& out = result.output;
  const std::size_t count_at = before.size();
  const std::size_t count_end = out.find(' ', count_at);
  ASSERT_EQ(out.compare(0, before.size(), before), 0) << out;
  ASSERT_NE(count_end, std::string::npos) << out;
  const int threads =
      std::atoi(out.substr(count_at, count_end - count_at).c_str());
  EXPECT_GE(threads, 2) << out;
  const std::string refusal = before + std::to_string(threads) + after;
  EXPECT_EQ(out, refusal + refusal + "spawn exitcode 0\n");
  EXPECT_TRUE(WIFEXITED(result.status) && WEXITSTATUS(result.status) == 0);
}

TEST(StartForkserverGuard, CopyReturningFromMainBeforeTheGuard) {
  const mp::testing::helper_result result =
      mp::testing::run_helper_at(MULTIPROC_FORKSERVER_HELPER, "return");
  const std::string refusal =
      "forkserver usage_error: multiproc: a process started by 'forkserver' "
      "returned from main before its first multiproc call\n";
  // A spawned copy of this program returns from main too.
  EXPECT_EQ(result.output,
            refusal + refusal +
                "multiproc: a process started by 'spawn' returned from main "
                "before its first multiproc call\nspawn exitcode 1\n");
}

}  // namespace
