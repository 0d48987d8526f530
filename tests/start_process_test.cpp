// Part 1 under every start method (API.md Part 5, "Part 1 under every
// method"): one suite, instantiated for each method this build has. The
// targets are free functions with codec arguments, so they run under all;
// a child reports what it saw through its exit code.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>
#include <vector>

#include "posix/sys.hpp"
#include "support/child_io.hpp"
#include "support/run_helper.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
using multiproc::testing::late_bound;
using multiproc::testing::pipe_pair;
using namespace std::chrono_literals;

namespace {

int g_set_by_parent = 0;  // changed by a test before start()

void return_normally() {}
void exit_with(int code) { mp::exit(code); }
void sleep_long() { std::this_thread::sleep_for(60s); }
void throw_runtime_error(std::string text) { throw std::runtime_error(text); }
void raise_signal(int signo) { ::raise(signo); }

// 0 when the child sees the expected name, parent name and parent pid.
void check_identity(std::string name, std::string parent_name, int parent) {
  if (mp::current_process().name() != name) mp::exit(10);
  auto creator = mp::parent_process();
  if (!creator) mp::exit(11);
  if (creator->name() != parent_name) mp::exit(12);
  if (creator->pid() != static_cast<pid_t>(parent)) mp::exit(13);
  if (!creator->is_alive()) mp::exit(14);
  mp::exit(0);
}

void check_arguments(std::string text, std::vector<int> numbers, double x) {
  const bool ok =
      text == "hello" && numbers == std::vector<int>{1, 2, 3} && x == 2.5;
  mp::exit(ok ? 0 : 20);
}

struct open_fd {
  int number;
  std::string link;  // what /proc/self/fd/<number> points at
};

// The fds open here, but for the directory stream that lists them.
std::vector<open_fd> open_fds() {
  std::vector<open_fd> fds;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) mp::exit(250);
  const int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd == own) continue;
    char link[256] = {};
    const std::string path = std::string("/proc/self/fd/") + entry->d_name;
    const ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
    fds.push_back({fd, std::string(link, n > 0 ? static_cast<std::size_t>(n)
                                               : std::size_t{0})});
  }
  ::closedir(dir);
  return fds;
}

// The number of open fds above 2, exit code (capped). A pidfd is the
// library's own (a forkserver child's handle on its creator, for
// parent_process()), not one inherited from the caller.
void count_open_fds() {
  int count = 0;
  for (const open_fd& fd : open_fds()) {
    if (fd.number > 2 && fd.link.find("pidfd") == std::string::npos) ++count;
  }
  mp::exit(count > 200 ? 200 : count);
}

// True when an fd whose link names `what` is open here.
bool has_open_fd_named(const std::string& what) {
  for (const open_fd& fd : open_fds()) {
    if (fd.link.find(what) != std::string::npos) return true;
  }
  return false;
}

constexpr std::size_t kLargeArgument = std::size_t{24} << 20;

std::vector<std::byte> large_pattern() {
  std::vector<std::byte> data(kLargeArgument);
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<std::byte>((i * 31) >> 3);
  }
  return data;
}

// Exit 0 when `data` is the pattern and `tail` followed it intact; 2 when
// the file the arguments came in is still open under the target.
void check_large_argument(std::vector<std::byte> data, std::string tail) {
  if (has_open_fd_named("multiproc-arguments")) mp::exit(2);
  mp::exit(data == large_pattern() && tail == "tail" ? 0 : 1);
}

// A target that takes its argument as a modifiable lvalue, as under fork.
void change_large_argument(std::vector<std::byte>& data) {
  data.front() = std::byte{1};
  mp::exit(data.size() == kLargeArgument ? 0 : 1);
}

// The name ps and top show for this process, as /proc/self/comm holds it.
std::string own_comm() {
  std::ifstream comm("/proc/self/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

void exit_zero_if_named(std::string expected) {
  mp::exit(own_comm() == expected ? 0 : 1);
}

void report_global() { mp::exit(g_set_by_parent); }

void check_open_files_limit(int expected) {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  mp::exit(limit.rlim_cur == static_cast<rlim_t>(expected) ? 0 : 30);
}

// A child that starts its own child by `method` and exits with its code.
void start_grandchild(int method) {
  mp::process_options o;
  o.start_method = static_cast<mp::start_method>(method);
  mp::process grandchild(o, check_identity, std::string("Process-1:1"),
                         std::string("Process-1"),
                         static_cast<int>(::getpid()));
  grandchild.start();
  grandchild.join();
  mp::exit(*grandchild.exitcode());
}

struct empty_target {
  void operator()(int code) const { mp::exit(code); }
};

class started_subclass : public mp::process {
 public:
  started_subclass() : mp::process(mp::process_options{}) {}
  void run() override {}
};

mp::process_options with_method(mp::start_method method) {
  mp::process_options options;
  options.start_method = method;
  return options;
}

class StartMethods : public ::testing::TestWithParam<mp::start_method> {
 protected:
  mp::process_options options() const { return with_method(GetParam()); }
};

TEST_P(StartMethods, ExitCodeOfANormalReturn) {
  mp::process child(options(), return_normally);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(StartMethods, ExitCodeOfExit) {
  mp::process child(options(), exit_with, 7);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 7);
}

TEST_P(StartMethods, ExitCodeOfASignal) {
  mp::process child(options(), raise_signal, SIGKILL);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), -SIGKILL);
}

TEST_P(StartMethods, UncaughtExceptionIsExitCodeOne) {
  // The child's report goes to our stderr (fd 2 is inherited).
  pipe_pair err;
  const int saved = ::dup(STDERR_FILENO);
  ::dup2(err.write_end(), STDERR_FILENO);
  mp::process child(options(), throw_runtime_error, std::string("boom"));
  child.start();
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  err.close_write();
  const std::string text = mp::testing::read_all(err.read_end());
  child.join();
  EXPECT_EQ(child.exitcode(), 1);
  EXPECT_NE(text.find("Process " + child.name() + ":"), std::string::npos)
      << text;
  EXPECT_NE(text.find("boom"), std::string::npos) << text;
}

TEST_P(StartMethods, JoinTimesOutThenTerminateEndsIt) {
  mp::process child(options(), sleep_long);
  mp::testing::kill_on_exit guard{child};
  child.start();
  EXPECT_FALSE(child.join(100ms));
  EXPECT_TRUE(child.is_alive());
  EXPECT_EQ(child.exitcode(), std::nullopt);
  EXPECT_TRUE(mp::testing::contains(mp::active_children(), child));
  child.terminate();
  EXPECT_TRUE(child.join(late_bound(5s)));
  EXPECT_FALSE(child.is_alive());
  EXPECT_EQ(child.exitcode(), -SIGTERM);
  EXPECT_FALSE(mp::testing::contains(mp::active_children(), child));
}

TEST_P(StartMethods, KillEndsIt) {
  mp::process child(options(), sleep_long);
  mp::testing::kill_on_exit guard{child};
  child.start();
  child.kill();
  child.join();
  EXPECT_EQ(child.exitcode(), -SIGKILL);
}

TEST_P(StartMethods, NameAndParentAreTheCreators) {
  mp::process child(options(), check_identity, std::string("Process-1"),
                    std::string("MainProcess"), static_cast<int>(::getpid()));
  EXPECT_EQ(child.name(), "Process-1");
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(StartMethods, GivenNameReachesTheChild) {
  mp::process_options o = options();
  o.name = "worker";
  mp::process child(o, check_identity, std::string("worker"),
                    std::string("MainProcess"), static_cast<int>(::getpid()));
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(StartMethods, NestedChildNamesAndParentFollowPartOne) {
  mp::process child(options(), start_grandchild, static_cast<int>(GetParam()));
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(StartMethods, ArgumentsArriveByValue) {
  mp::process child(options(), check_arguments, std::string("hello"),
                    std::vector<int>{1, 2, 3}, 2.5);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(StartMethods, EmptyFunctionObjectAndCapturelessLambda) {
  mp::process first(options(), empty_target{}, 5);
  first.start();
  first.join();
  EXPECT_EQ(first.exitcode(), 5);
  mp::process second(
      options(), [](int code) { mp::exit(code + 1); }, 5);
  second.start();
  second.join();
  EXPECT_EQ(second.exitcode(), 6);
}

TEST_P(StartMethods, NoTargetRunsNothing) {
  mp::process child(options());
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(StartMethods, LimitsAreAppliedInTheChild) {
  mp::process_options o = options();
  mp::limits caps;
  caps.open_files = 57;
  o.limits = caps;
  mp::process child(o, check_open_files_limit, 57);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(StartMethods, DaemonChildIsTerminatedAtExit) {
  // A creator that ends while its daemon child sleeps: the child gets
  // SIGTERM from the exit steps, so the creator ends promptly.
  mp::process creator([method = GetParam()] {
    mp::process_options o = with_method(method);
    o.daemon = true;
    mp::process sleeper(o, sleep_long);
    sleeper.start();
  });
  mp::testing::stopwatch clock;
  creator.start();
  EXPECT_TRUE(creator.join(late_bound(5s)));
  EXPECT_EQ(creator.exitcode(), 0);
}

TEST_P(StartMethods, KillOnParentDeathFollowsTheCreator) {
  // A creator that is killed (no exit steps) while its child sleeps: the
  // child dies with it. The creator tells us the child's pid.
  pipe_pair report;
  mp::process creator([&report, method = GetParam()] {
    report.close_read();
    mp::process_options o = with_method(method);
    o.kill_on_parent_death = true;
    mp::process sleeper(o, sleep_long);
    sleeper.start();
    mp::testing::write_all(report.write_end(),
                           std::to_string(*sleeper.pid()) + "\n");
    ::raise(SIGKILL);
  });
  creator.start();
  report.close_write();
  const auto line = mp::testing::read_line(report.read_end(), late_bound(10s));
  ASSERT_TRUE(line.has_value());
  const pid_t grandchild = std::stoi(*line);
  const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, grandchild, 0));
  creator.join();
  if (pidfd >= 0) {  // ended and reaped already otherwise
    pollfd watch{pidfd, POLLIN, 0};
    const int ready =
        ::poll(&watch, 1, static_cast<int>(late_bound(10s).count()));
    ::close(pidfd);
    EXPECT_EQ(ready, 1);
  }
}

TEST_P(StartMethods, KillOnParentDeathOutlivesTheStartingThread) {
  // Started from a thread that ends at once: the child must follow the
  // process, not that thread (PR_SET_PDEATHSIG follows the thread).
  mp::process_options o = options();
  o.kill_on_parent_death = true;
  mp::process child(o, sleep_long);
  mp::testing::kill_on_exit guard{child};
  std::thread([&child] { child.start(); }).join();
  std::this_thread::sleep_for(300ms);
  EXPECT_TRUE(child.is_alive());
  child.kill();
  child.join();
  EXPECT_EQ(child.exitcode(), -SIGKILL);
}

TEST_P(StartMethods, OnlyStandardFdsReachTheChild) {
  const mp::testing::leaked_fds leaked(1000);
  ASSERT_EQ(leaked.size(), 1000U);
  mp::process child(options(), count_open_fds);
  child.start();
  child.join();
  if (GetParam() == mp::start_method::fork) {
    EXPECT_GT(*child.exitcode(), 0);  // fork inherits them all
  } else {
    EXPECT_EQ(child.exitcode(), 0);
  }
}

TEST_P(StartMethods, LargeArgumentsArriveWholeAndLeaveNoFd) {
  // Under forkserver and spawn they travel in a file of their own, mapped
  // by the child and closed before the target runs.
  mp::process child(options(), check_large_argument, large_pattern(),
                    std::string("tail"));
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(StartMethods, LargeArgumentsReachAnLvalueReferenceParameter) {
  mp::process child(options(), change_large_argument, large_pattern());
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(StartMethods, ChildIsNamedAfterTheProgram) {
  // An exec of /proc/self/exe would name the child "exe" in ps; it takes
  // the program's name, as a fork child has it.
  const std::string parent_name = own_comm();
  ASSERT_NE(parent_name, "exe");
  mp::process child(options(), exit_zero_if_named, parent_name);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST_P(StartMethods, GlobalsFollowTheMethod) {
  g_set_by_parent = 42;
  mp::process child(options(), report_global);
  child.start();
  child.join();
  // Fork copies the caller's memory; an exec'd copy has what the static
  // initialisers made.
  EXPECT_EQ(child.exitcode(), GetParam() == mp::start_method::fork ? 42 : 0);
}

TEST_P(StartMethods, DefaultMethodIsUsedAtStart) {
  mp::set_start_method(GetParam());
  g_set_by_parent = 9;
  mp::process child(report_global);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), GetParam() == mp::start_method::fork ? 9 : 0);
}

std::string method_name(
    const ::testing::TestParamInfo<mp::start_method>& info) {
  return std::string(mp::to_string(info.param));
}

INSTANTIATE_TEST_SUITE_P(EveryMethod, StartMethods,
                         ::testing::Values(mp::start_method::fork,
                                           mp::start_method::forkserver,
                                           mp::start_method::spawn),
                         method_name);

// --- Refusals at start() (method spawn) ---------------------------------

std::string start_refusal(mp::process& child) {
  try {
    child.start();
  } catch (const mp::usage_error& e) {
    return e.what();
  }
  return "";
}

TEST(StartMethodRefusals, CapturingLambdaUnderSpawn) {
  int captured = 3;
  mp::process child(with_method(mp::start_method::spawn),
                    [captured] { mp::exit(captured); });
  EXPECT_EQ(start_refusal(child),
            "the 'spawn' start method cannot send this target: use a function "
            "pointer, a captureless lambda or an empty function object, with "
            "arguments multiproc::codec can transfer");
  EXPECT_EQ(child.pid(), std::nullopt);  // stays unstarted
  EXPECT_TRUE(mp::active_children().empty());
}

TEST(StartMethodRefusals, StdFunctionUnderSpawn) {
  std::function<void()> target = return_normally;
  mp::process child(with_method(mp::start_method::spawn), target);
  EXPECT_NE(start_refusal(child).find("cannot send this target"),
            std::string::npos);
}

TEST(StartMethodRefusals, PointerArgumentUnderSpawn) {
  static int value = 0;
  mp::process child(
      with_method(mp::start_method::spawn), [](int* p) { (void)p; }, &value);
  EXPECT_NE(start_refusal(child).find("cannot send this target"),
            std::string::npos);
}

TEST(StartMethodRefusals, SubclassUnderSpawn) {
  mp::set_start_method(mp::start_method::spawn);
  started_subclass child;
  EXPECT_EQ(
      start_refusal(child),
      "a process subclass can only be started with the 'fork' start method");
}

TEST(StartMethodRefusals, CapturingLambdaStillWorksUnderFork) {
  int captured = 3;
  mp::process child([captured] { mp::exit(captured); });
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 3);
}

int read_global_value() { return g_set_by_parent; }

TEST(StartMethodDefault, AsyncAndPoolsFollowASpawnDefault) {
  // Resolved at the call (async) and at construction (pool), as process's
  // at start(): a spawned child sees the global as initialised, not ours.
  mp::set_start_method(mp::start_method::spawn);
  g_set_by_parent = 20;
  EXPECT_EQ(mp::call(read_global_value), 0);
  const int captured = 20;
  EXPECT_THROW(mp::call([captured] { return captured + 1; }), mp::usage_error);
  mp::pool workers(mp::testing::with_processes(1));
  EXPECT_EQ(workers.apply(read_global_value), 0);
  // Chosen per call, fork still takes captures.
  mp::async_options forked;
  forked.start_method = mp::start_method::fork;
  EXPECT_EQ(mp::call(forked, [captured] { return captured + 1; }), 21);
  g_set_by_parent = 0;
}

TEST(StartMethodFaults, SpawnRefusedByTheOsLeavesItUnstarted) {
  mp::detail::sys::inject_failure(mp::detail::sys::call::posix_spawn, EAGAIN);
  mp::process child(with_method(mp::start_method::spawn), return_normally);
  EXPECT_EQ(mp::testing::thrown_by([&] { child.start(); }),
            std::errc::resource_unavailable_try_again);
  EXPECT_EQ(child.pid(), std::nullopt);
  child.start();  // and may be started again
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(StartMethodGuard, CopyReturningFromMainBeforeTheGuard) {
  mp::testing::helper_result result =
      mp::testing::run_helper_at(MULTIPROC_START_HELPER, "");
  EXPECT_NE(result.output.find("multiproc: a process started by 'spawn' "
                               "returned from main before its first "
                               "multiproc call"),
            std::string::npos)
      << result.output;
  EXPECT_NE(result.output.find("exitcode 1"), std::string::npos)
      << result.output;
}

}  // namespace
