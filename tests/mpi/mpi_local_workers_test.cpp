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

}  // namespace

int main(int argc, char** argv) {
  mp::mpi::world world(argc, argv, {.handshake_timeout = 30s});
  the_world = &world;
  set_after_the_world = 1;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
