// Pools under spawn and forkserver (API.md Part 5, "async and pools"):
// every worker, initial or replacement, is a spawned copy of this test
// binary or a fork of its forkserver (itself such a copy), so the
// globals rule holds (a worker sees globals as the static initialisers
// left them); tasks name code that the workers resolve in their own load
// layout; the initializer travels as code and encoded arguments.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <functional>
#include <multiproc/multiproc.hpp>
#include <numeric>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;

namespace {

struct parse_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int g_global = 0;  // set by the parent, or by the initializer in a worker

int square(int x) { return x * x; }
int read_global() { return g_global; }
int own_pid() { return static_cast<int>(::getpid()); }
int crash() {
  ::raise(SIGKILL);
  return 0;
}
int throw_parse_error() {
  mp::register_exception<parse_error>();
  throw parse_error("bad row");
}
bool leads_its_group() { return ::getpgrp() == ::getpid(); }
int sleep_long() {
  ::sleep(60);
  return 0;
}
void set_global(int value, std::string text) {
  g_global = value + static_cast<int>(text.size());
}
// The fds a worker holds above the standard three, as their link targets.
std::vector<std::string> open_fd_targets() {
  std::vector<std::string> targets;
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) throw std::runtime_error("cannot list /proc/self/fd");
  const int own = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    const int fd = std::atoi(entry->d_name);
    if (fd <= 2 || fd == own) continue;
    char link[256] = {};
    const std::string path = std::string("/proc/self/fd/") + entry->d_name;
    const ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
    targets.emplace_back(link, n > 0 ? static_cast<std::size_t>(n) : 0);
  }
  ::closedir(dir);
  return targets;
}
void failing_initializer() { throw std::runtime_error("no database"); }
// An initializer whose runs can be counted from the parent: a line each.
void append_line(std::string path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  const bool written = ::write(fd, "x\n", 2) == 2;
  ::close(fd);
  if (!written) throw std::runtime_error("cannot write " + path);
}
// A file the test counts lines in, removed at the end.
class scratch_file {
 public:
  scratch_file() {
    const int fd = ::mkstemp(path_.data());
    if (fd < 0) throw std::runtime_error("mkstemp");
    ::close(fd);
  }
  ~scratch_file() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }
  std::size_t lines() const {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open " + path_);
    std::size_t count = 0;
    char buffer[256];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) {
      count += static_cast<std::size_t>(std::count(buffer, buffer + n, '\n'));
    }
    ::close(fd);
    return count;
  }

 private:
  std::string path_ = "/tmp/multiproc_initialized_XXXXXX";
};

// The pid of a live child other than `worker`: the pool's standby, once
// it has been started; -1 if none shows up in good time.
int standby_of(int worker) {
  const auto give_up = std::chrono::steady_clock::now() +
                       mp::testing::late_bound(std::chrono::seconds(10));
  while (std::chrono::steady_clock::now() < give_up) {
    for (const auto& child : mp::active_children()) {
      if (*child.pid() != worker) return *child.pid();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return -1;
}

mp::pool_options options_for(mp::start_method method, unsigned processes) {
  mp::pool_options options;
  options.processes = processes;
  options.start_method = method;
  return options;
}

std::string initializer_refusal(mp::start_method method) {
  return "the '" + std::string(mp::to_string(method)) +
         "' start method cannot send this initializer: use a function "
         "pointer, a captureless lambda or an empty function object, with "
         "arguments multiproc::codec can transfer";
}

std::string method_name(
    const ::testing::TestParamInfo<mp::start_method>& method) {
  return std::string(mp::to_string(method.param));
}

// Every test below runs under spawn and under forkserver.
class StartPool : public ::testing::TestWithParam<mp::start_method> {};

TEST_P(StartPool, SubmitAndMapResults) {
  mp::pool p(options_for(GetParam(), 2));
  EXPECT_EQ(p.submit(square, 9).get(), 81);
  EXPECT_EQ(p.submit([](int a, int b) { return a - b; }, 5, 8).get(), -3);
  std::vector<int> items(200);
  std::iota(items.begin(), items.end(), 0);
  const std::vector<int> squares = p.map(square, items);
  ASSERT_EQ(squares.size(), items.size());
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(squares[static_cast<std::size_t>(i)], i * i);
  }
}

TEST_P(StartPool, WorkersSeeGlobalsAsStaticInitialisersLeftThem) {
  g_global = 17;  // a fork pool's workers would see it
  mp::pool p(options_for(GetParam(), 2));
  for (int seen :
       p.map([](int) { return read_global(); }, std::vector<int>(16, 0),
             mp::map_options{.chunksize = 1})) {
    EXPECT_EQ(seen, 0);
  }
  g_global = 0;
}

TEST_P(StartPool, RegisteredExceptionComesBackAsItsType) {
  mp::register_exception<parse_error>();
  mp::pool p(options_for(GetParam(), 1));
  EXPECT_THROW(p.submit(throw_parse_error).get(), parse_error);
}

TEST_P(StartPool, CrashFailsOnlyItsTaskAndTheReplacementIsSpawned) {
  g_global = 3;
  mp::pool p(options_for(GetParam(), 1));
  const int first = p.submit(own_pid).get();
  try {
    p.submit(crash).get();
    ADD_FAILURE() << "no exception";
  } catch (const mp::process_died& e) {
    EXPECT_EQ(e.exitcode(), -SIGKILL);
  }
  // The replacement: another process, and a fresh copy, not a fork.
  EXPECT_NE(p.submit(own_pid).get(), first);
  EXPECT_EQ(p.submit(read_global).get(), 0);
  // A function-pointer task travels as two code names (its trampoline and
  // the function inside the payload): both resolve in the replacement.
  EXPECT_EQ(p.submit(square, 3).get(), 9);
  g_global = 0;
}

TEST_P(StartPool, TimeoutKillsTheWorkersGroupAndTheNextTaskRuns) {
  mp::pool p(options_for(GetParam(), 1));
  // A spawned worker leads its own process group (set at the exec and by
  // the worker loop), so a timeout's group kill also reaches what a task
  // started, as in a fork pool.
  EXPECT_TRUE(p.submit(leads_its_group).get());
  mp::task_options timed;
  timed.timeout = std::chrono::milliseconds(100);
  EXPECT_THROW(p.submit(timed, sleep_long).get(), mp::timeout_error);
  EXPECT_EQ(p.submit(square, 6).get(), 36);
}

TEST_P(StartPool, InitializerRunsInEachWorkerWithItsArguments) {
  mp::pool_options options = options_for(GetParam(), 2);
  options.initializer = {set_global, 40, std::string("ab")};
  mp::pool p(options);
  std::set<int> pids;
  for (int i = 0; i < 40; ++i) {
    auto seen = p.submit(read_global);
    EXPECT_EQ(seen.get(), 42);
    pids.insert(p.submit(own_pid).get());
  }
  EXPECT_GE(pids.size(), 1U);
  EXPECT_EQ(g_global, 0);  // ours is untouched
}

TEST_P(StartPool, FailingInitializerBreaksThePool) {
  mp::pool_options options = options_for(GetParam(), 1);
  options.initializer = failing_initializer;
  mp::pool p(options);
  try {
    p.submit(square, 2).get();
    ADD_FAILURE() << "a task ran without its initializer";
  } catch (const mp::process_died& e) {
    EXPECT_STREQ(e.what(), "pool initializer failed: no database");
  }
}

TEST_P(StartPool, NonPortableInitializerIsRefusedAtConstruction) {
  int captured = 1;
  mp::pool_options options = options_for(GetParam(), 1);
  options.initializer = [&captured] { captured = 2; };
  try {
    mp::pool p(options);
    ADD_FAILURE() << "no exception";
  } catch (const mp::usage_error& e) {
    EXPECT_EQ(e.what(), initializer_refusal(GetParam()));
  }
  // A std::function hides its target: never portable.
  options.initializer = std::function<void()>(failing_initializer);
  EXPECT_THROW(mp::pool{options}, mp::usage_error);
  EXPECT_TRUE(mp::active_children().empty());
  // Under fork any callable works, as before.
  options.start_method = mp::start_method::fork;
  options.initializer = [&captured] { captured = 3; };
  mp::pool forked(options);
  EXPECT_EQ(forked.submit(square, 3).get(), 9);
}

TEST(PoolInitializer, KnowsWhatItHolds) {
  EXPECT_FALSE(mp::pool_initializer());
  EXPECT_FALSE(mp::pool_initializer(std::function<void()>()));
  EXPECT_FALSE(mp::pool_initializer(static_cast<void (*)()>(nullptr)));
  const mp::pool_initializer by_pointer(set_global, 1, std::string("x"));
  EXPECT_TRUE(by_pointer);
  EXPECT_TRUE(by_pointer.is_portable());
  EXPECT_TRUE(mp::pool_initializer([] {}).is_portable());
  int captured = 0;
  EXPECT_FALSE(mp::pool_initializer([&captured] { ++captured; }).is_portable());
  EXPECT_FALSE(
      mp::pool_initializer(std::function<void()>([] {})).is_portable());
  const int* pointer = &captured;
  EXPECT_FALSE(mp::pool_initializer([](const int*) {}, pointer).is_portable());
  by_pointer();  // runs here too: fn(args...)
  EXPECT_EQ(g_global, 2);
  g_global = 0;
}

TEST_P(StartPool, ContextPoolUsesTheContextsMethod) {
  g_global = 9;
  mp::pool p = mp::get_context(GetParam()).pool({.processes = 1});
  EXPECT_EQ(p.submit(read_global).get(), 0);
  mp::pool forked =
      mp::get_context(mp::start_method::fork).pool({.processes = 1});
  EXPECT_EQ(forked.submit(read_global).get(), 9);
  g_global = 0;
}

TEST_P(StartPool, NoneOfTheParentsFdsReachAWorker) {
  // An exec'd worker (spawn, or a fork of the forkserver) holds none of
  // the parent's leaked fds, only its own channel and what it opened.
  std::vector<std::string> held;
  {
    const mp::testing::leaked_fds leaked(1000);
    ASSERT_EQ(leaked.size(), 1000U);
    mp::pool workers(options_for(GetParam(), 1));
    held = workers.apply(open_fd_targets);
  }
  std::string listed;
  for (const auto& target : held) listed += target + " ";
  EXPECT_LT(held.size(), 5U) << listed;
  for (const auto& target : held) EXPECT_NE(target, "/dev/null") << listed;
}

// Replacing a worker under forkserver or spawn hands over one started
// ahead (pool/worker_standby.hpp), and starts the next one.
TEST_P(StartPool, AReplacementIsTheWorkerStartedAheadOfIt) {
  {
    mp::pool p(options_for(GetParam(), 1));
    EXPECT_THROW(p.submit(crash).get(), mp::process_died);
    const int replacement = p.submit(own_pid).get();
    const int standby = standby_of(replacement);
    ASSERT_GT(standby, 0) << "no worker was started ahead";
    EXPECT_THROW(p.submit(crash).get(), mp::process_died);
    EXPECT_EQ(p.submit(own_pid).get(), standby);
    EXPECT_EQ(p.submit(square, 7).get(), 49);
    p.close();
    p.join();
    // join() leaves nothing running: the standby started after the second
    // replacement went too.
    EXPECT_TRUE(mp::active_children().empty());
  }
  EXPECT_TRUE(mp::active_children().empty());
}

TEST_P(StartPool, AWorkerStartedAheadRunsTheInitializerOnlyOnceUsed) {
  const scratch_file initialized;
  mp::pool_options options = options_for(GetParam(), 1);
  options.initializer = {append_line, initialized.path()};
  mp::pool p(options);
  EXPECT_THROW(p.submit(crash).get(), mp::process_died);
  const int replacement = p.submit(own_pid).get();
  ASSERT_GT(standby_of(replacement), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(initialized.lines(), 2U) << "the standby ran the initializer early";
  EXPECT_THROW(p.submit(crash).get(), mp::process_died);
  EXPECT_EQ(p.submit(square, 5).get(), 25);
  EXPECT_EQ(initialized.lines(), 3U);
  p.terminate();
  p.join();
  EXPECT_TRUE(mp::active_children().empty());
  EXPECT_EQ(initialized.lines(), 3U);
}

TEST_P(StartPool, AWorkerStartedAheadThatDiedIsNotHandedOver) {
  mp::pool p(options_for(GetParam(), 1));
  EXPECT_THROW(p.submit(crash).get(), mp::process_died);
  const int replacement = p.submit(own_pid).get();
  const int standby = standby_of(replacement);
  ASSERT_GT(standby, 0);
  ASSERT_EQ(::kill(standby, SIGKILL), 0);
  EXPECT_THROW(p.submit(crash).get(), mp::process_died);
  const int next = p.submit(own_pid).get();
  EXPECT_NE(next, standby);
  EXPECT_NE(next, replacement);
  p.terminate();
  p.join();
  EXPECT_TRUE(mp::active_children().empty());
}

TEST_P(StartPool, APoolThatRetiresWorkersKeepsTheNextOneStarted) {
  mp::pool_options options = options_for(GetParam(), 1);
  options.max_tasks_per_child = 1;
  mp::pool p(options);
  std::set<int> pids;
  for (int i = 0; i < 6; ++i) pids.insert(p.submit(own_pid).get());
  EXPECT_EQ(pids.size(), 6U);
  p.close();
  p.join();
  EXPECT_TRUE(mp::active_children().empty());
}

TEST(ForkPool, StartsNoWorkerAheadOfAReplacement) {
  // A fork copies the parent as it is when the worker starts, as Python's
  // does: one started ahead would hold an older copy.
  mp::pool p(options_for(mp::start_method::fork, 1));
  EXPECT_THROW(p.submit(crash).get(), mp::process_died);
  EXPECT_EQ(p.submit(square, 4).get(), 16);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(mp::active_children().size(), 1U);
}

INSTANTIATE_TEST_SUITE_P(ByMethod, StartPool,
                         ::testing::Values(mp::start_method::spawn,
                                           mp::start_method::forkserver),
                         method_name);

}  // namespace
