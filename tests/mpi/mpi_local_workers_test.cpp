// Where an mpi::pool's workers come from (API.md Half B, "Tasks never run
// in a rank"): on every rank, rank 0 included, from the rank's forkserver,
// started before MPI_Init. Run under `mpiexec -n 4` and without a launcher.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <multiproc/mpi.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

mp::mpi::world* the_world = nullptr;
// Set by main after the world line: a worker that is a fork of rank 0 sees
// it, one of the forkserver sees the program as it was before the world.
int set_after_the_world = 0;

// The "Threads:" line of /proc/<pid>/status; -1 when unreadable.
int threads_of(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::atoi(line.c_str() + 8);
  }
  return -1;
}

int oom_score_adj() {
  std::ifstream file("/proc/self/oom_score_adj");
  int value = 0;
  file >> value;
  return value;
}

// Slow enough that every worker, rank 0's too, gets some of a batch.
int threads_of_my_parent() {
  std::this_thread::sleep_for(10ms);
  return threads_of(::getppid());
}
int value_set_after_the_world() {
  std::this_thread::sleep_for(10ms);
  return set_after_the_world;
}
int my_oom_score_adj() {
  std::this_thread::sleep_for(10ms);
  return oom_score_adj();
}
int my_rank() {
  std::this_thread::sleep_for(10ms);
  return mp::mpi::current_rank().value_or(-1);
}

// 1 when this worker's stdin is /dev/null.
int stdin_is_dev_null() {
  std::this_thread::sleep_for(10ms);
  std::error_code error;
  return std::filesystem::read_symlink("/proc/self/fd/0", error) == "/dev/null"
             ? 1
             : 0;
}

// Enough tasks that rank 0's one worker and each agent's get some.
template <class F>
std::vector<int> from_every_worker(F task) {
  mp::mpi::pool workers(*the_world,
                        {.processes_per_agent = 1, .client_processes = 1});
  std::vector<mp::future<int>> futures;
  futures.reserve(64);
  for (int i = 0; i < 64; ++i) futures.push_back(workers.submit(task));
  std::vector<int> values;
  for (auto& f : futures) values.push_back(f.get());
  return values;
}

TEST(MpiLocalWorkers, EveryRanksTasksRun) {
  std::vector<int> ranks = from_every_worker(&my_rank);
  for (int rank = 0; rank < the_world->size(); ++rank) {
    EXPECT_NE(std::count(ranks.begin(), ranks.end(), rank), 0)
        << "rank " << rank << " ran none of the tasks";
  }
}

// The forkserver is single-threaded; every rank has MPI's threads (and
// rank 0 the library's relay and dispatcher), so a worker forked by its
// rank would see more than one.
TEST(MpiLocalWorkers, AreChildrenOfASingleThreadedForkserver) {
  EXPECT_GT(threads_of(::getpid()), 1);
  for (int threads : from_every_worker(&threads_of_my_parent)) {
    EXPECT_EQ(threads, 1);
  }
}

TEST(MpiLocalWorkers, SeeTheProgramAsBuiltBeforeTheWorldNotRankZerosMemory) {
  ASSERT_EQ(set_after_the_world, 1);
  for (int value : from_every_worker(&value_set_after_the_world)) {
    EXPECT_EQ(value, 0);
  }
}

// API.md Half B: "workers' stdin is /dev/null" (the launcher forwards
// stdin to rank 0 only, and a task must not read the user's input).
TEST(MpiLocalWorkers, ReadStdinFromDevNull) {
  for (int value : from_every_worker(&stdin_is_dev_null)) EXPECT_EQ(value, 1);
}

// Every rank inherits the launcher's value, as rank 0 does.
TEST(MpiLocalWorkers, RaiseTheirOomScoreAdjBy500) {
  const int expected = std::min(oom_score_adj() + 500, 1000);
  for (int value : from_every_worker(&my_oom_score_adj)) {
    EXPECT_EQ(value, expected);
  }
}

int crash() {
  ::raise(SIGSEGV);
  return 0;
}
int worker_token = 0;  // set by the initializer, in each worker
void set_token(int token) { worker_token = token; }
int token_and_rank() {
  return worker_token * 100 + mp::mpi::current_rank().value_or(-1);
}

// The processes, ranks and forkservers included, that run this program.
int copies_of_this_program() {
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  int count = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc", error)) {
    const auto exe = std::filesystem::read_symlink(entry.path() / "exe", error);
    if (!error && exe == self) ++count;
  }
  return count;
}

// Each crash on an agent is replaced there (from the second on, by the
// worker its forkserver started ahead), with the pool's initializer; once
// the pool has ended, no worker is left on any rank, the one started
// ahead included.
TEST(MpiLocalWorkers, CrashesAreReplacedOnTheAgentAndNothingOutlivesThePool) {
  if (the_world->agents() == 0) GTEST_SKIP() << "no agents";
  const int before = copies_of_this_program();
  {
    mp::mpi::pool workers(
        *the_world, {.processes_per_agent = 1, .initializer = {&set_token, 7}});
    for (int round = 0; round < 4; ++round) {
      std::vector<mp::future<int>> crashes;
      for (unsigned i = 0; i < the_world->agents(); ++i) {
        crashes.push_back(workers.submit(&crash));
      }
      for (auto& f : crashes) EXPECT_THROW(f.get(), mp::process_died);
      std::vector<int> inputs(12, 0);
      for (int value : workers.map([](int) { return token_and_rank(); }, inputs,
                                   {.chunksize = 1})) {
        EXPECT_EQ(value / 100, 7);
        EXPECT_GE(value % 100, 1);
      }
    }
  }
  // Past the few milliseconds after which a standby would be started.
  std::this_thread::sleep_for(200ms);
  int now = copies_of_this_program();
  for (int i = 0; i < 100 && now > before; ++i) {
    std::this_thread::sleep_for(50ms);
    now = copies_of_this_program();
  }
  EXPECT_EQ(now, before);
}

// Writes this worker's pid to `path` (whole, by a rename), then sleeps.
int report_pid_and_sleep(std::string path) {
  {
    std::ofstream out(path + ".part");
    out << ::getpid();
  }
  std::filesystem::rename(path + ".part", path);
  std::this_thread::sleep_for(30s);
  return 0;
}

// True when `pid` is gone, a zombie, exiting (PF_EXITING in
// /proc/<pid>/stat's flags) or has SIGKILL pending: what the agent's
// kill(SIGKILL) leaves behind at once.
bool killed(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  if (text.empty()) return true;
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string state;
  long value = 0;
  unsigned long flags = 0;
  fields >> state;
  for (int i = 0; i < 4; ++i) fields >> value;  // ppid pgrp session tty
  fields >> value >> flags;                     // tpgid flags
  constexpr unsigned long kExiting = 0x4;       // PF_EXITING
  if (state == "Z" || state == "X" || (flags & kExiting) != 0) return true;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("SigPnd:", 0) == 0 || line.rfind("ShdPnd:", 0) == 0) {
      const unsigned long long pending =
          std::stoull(line.substr(7), nullptr, 16);
      if ((pending & (1ULL << (SIGKILL - 1))) != 0) return true;
    }
  }
  return !std::filesystem::exists("/proc/" + std::to_string(pid));
}

// API.md Half B: cancel() on a task an agent holds returns after that
// agent answers, a running task's worker killed by then.
TEST(MpiLocalWorkers, CancelReturnsOnceTheAgentHasKilledTheRunningTask) {
  if (the_world->agents() == 0) GTEST_SKIP() << "no agents";
  mp::mpi::pool workers(*the_world, {.processes_per_agent = 1});
  for (int round = 0; round < 5; ++round) {
    const std::string path = ::testing::TempDir() + "mpi_cancel_pid_" +
                             std::to_string(::getpid()) + "_" +
                             std::to_string(round);
    auto running = workers.submit(&report_pid_and_sleep, path);
    pid_t pid = 0;
    for (int i = 0; i < 10000 && pid == 0; ++i) {
      std::ifstream in(path);
      if (!(in >> pid)) std::this_thread::sleep_for(1ms);
    }
    ASSERT_NE(pid, 0) << "the task never started";
    ASSERT_TRUE(running.cancel());
    EXPECT_TRUE(killed(pid)) << "round " << round << ": worker " << pid
                             << " still runs after cancel() returned";
    EXPECT_THROW(running.get(), mp::cancelled_error);
    std::filesystem::remove(path);
  }
  EXPECT_GE(workers.submit(&my_rank).get(), 1);  // the pool goes on
}

}  // namespace

int main(int argc, char** argv) {
  mp::mpi::world world(argc, argv, {.handshake_timeout = 30s});
  the_world = &world;
  set_after_the_world = 1;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
