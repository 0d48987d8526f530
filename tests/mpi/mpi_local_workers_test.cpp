// Where an mpi::pool's workers come from (API.md Half B, "Tasks never run
// in a rank"): on every rank, rank 0 included, from the rank's forkserver,
// started before MPI_Init. Run under `mpiexec -n 4` and without a launcher.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
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

}  // namespace

int main(int argc, char** argv) {
  mp::mpi::world world(argc, argv, {.handshake_timeout = 30s});
  the_world = &world;
  set_after_the_world = 1;
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
