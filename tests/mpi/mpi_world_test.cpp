// multiproc::mpi under `mpiexec -n 4` (and, the same binary, without a
// launcher): the world's roles and the pool's contract. main() builds the
// world first, as users must; only rank 0 gets past it and runs the tests,
// and mpiexec's exit code 0 says that every rank ended cleanly.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <multiproc/mpi.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

mp::mpi::world* the_world = nullptr;
// The number of ranks the ctest command line asks for (-DEXPECTED_RANKS).
int expected_ranks = 1;

int square(int x) { return x * x; }
int rank_of_task() { return mp::mpi::current_rank().value_or(-1); }
int crash() {
  ::raise(SIGSEGV);
  return 0;
}
int sleep_long() {
  std::this_thread::sleep_for(30s);
  return 0;
}
int throw_range() { throw std::out_of_range("item 7 is missing"); }

// Works on any pool: an mpi::pool must be usable as an mp::pool&.
int sum_of_squares(mp::pool& workers, int n) {
  std::vector<int> inputs;
  for (int i = 0; i < n; ++i) inputs.push_back(i);
  int total = 0;
  for (int value : workers.map(&square, inputs)) total += value;
  return total;
}

TEST(MpiWorld, HasTheRanksTheLauncherStarted) {
  EXPECT_EQ(the_world->size(), expected_ranks);
  EXPECT_EQ(the_world->agents(), static_cast<unsigned>(expected_ranks - 1));
  ASSERT_EQ(the_world->agent_list().size(), the_world->agents());
  int rank = 1;
  for (const auto& agent : the_world->agent_list()) {
    EXPECT_EQ(agent.rank, rank++);
    EXPECT_FALSE(agent.host.empty());
    EXPECT_GE(agent.cpus, 1u);
  }
}

TEST(MpiWorld, ASecondWorldIsRefused) {
  int argc = 0;
  char** argv = nullptr;
  try {
    mp::mpi::world again(argc, argv);
    FAIL() << "a second world was created";
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(),
                 "multiproc::mpi::world can be created once per process");
  }
}

TEST(MpiWorld, CurrentRankIsEmptyOutsideATask) {
  EXPECT_FALSE(mp::mpi::current_rank().has_value());
}

TEST(MpiPool, IsUsableAsAnMpPoolAndMapsInInputOrder) {
  mp::mpi::pool workers(*the_world,
                        {.processes_per_agent = 1, .client_processes = 1});
  EXPECT_EQ(workers.processes(), static_cast<unsigned>(expected_ranks));
  EXPECT_EQ(sum_of_squares(workers, 100), 328350);
  std::vector<int> inputs;
  for (int i = 0; i < 50; ++i) inputs.push_back(i);
  const std::vector<int> squares =
      workers.map(&square, inputs, {.chunksize = 1});
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(squares[static_cast<size_t>(i)], i * i);
}

TEST(MpiPool, ATaskKnowsItsRank) {
  mp::mpi::pool workers(*the_world, {.processes_per_agent = 1});
  EXPECT_EQ(workers.submit(&rank_of_task).get(), 0);
}

TEST(MpiPool, ATaskExceptionComesBackAsItself) {
  mp::mpi::pool workers(*the_world, {.processes_per_agent = 1});
  auto future = workers.submit(&throw_range);
  try {
    future.get();
    FAIL() << "no exception";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "item 7 is missing");
  }
}

TEST(MpiPool, ACrashCostsOneWorkerAndThePoolGoesOn) {
  mp::mpi::pool workers(*the_world, {.processes_per_agent = 1});
  auto crashed = workers.submit(&crash);
  try {
    crashed.get();
    FAIL() << "no process_died";
  } catch (const mp::process_died& e) {
    EXPECT_EQ(e.exitcode(), -SIGSEGV);
  }
  EXPECT_EQ(workers.submit(&square, 12).get(), 144);
}

TEST(MpiPool, ATimeoutKillsTheTaskAndThePoolGoesOn) {
  mp::mpi::pool workers(*the_world,
                        {.processes_per_agent = 1, .task_timeout = 300ms});
  EXPECT_THROW(workers.submit(&sleep_long).get(), mp::timeout_error);
  EXPECT_EQ(workers.submit(&square, 5).get(), 25);
}

TEST(MpiPool, CancelStopsARunningTask) {
  mp::mpi::pool workers(*the_world, {.processes_per_agent = 1});
  auto running = workers.submit(&sleep_long);
  std::this_thread::sleep_for(200ms);
  running.cancel();
  EXPECT_THROW(running.get(), mp::cancelled_error);
  EXPECT_EQ(workers.submit(&square, 4).get(), 16);
}

TEST(MpiPool, ManyPoolsShareOneWorld) {
  mp::mpi::pool first(*the_world, {.processes_per_agent = 1});
  mp::mpi::pool second(*the_world, {.processes_per_agent = 1});
  auto a = first.submit(&square, 3);
  auto b = second.submit(&square, 9);
  EXPECT_EQ(a.get() + b.get(), 90);
}

TEST(MpiPool, ABrokenInitializerFailsEveryTask) {
  mp::mpi::pool workers(*the_world,
                        {.processes_per_agent = 1, .initializer = [] {
                           throw std::runtime_error("no licence");
                         }});
  try {
    workers.submit(&square, 2).get();
    FAIL() << "no process_died";
  } catch (const mp::process_died& e) {
    EXPECT_NE(std::string(e.what()).find("no licence"), std::string::npos)
        << e.what();
  }
}

}  // namespace

int main(int argc, char** argv) {
  mp::mpi::world world(argc, argv, {.handshake_timeout = 30s});
  the_world = &world;
  if (const char* ranks = std::getenv("MULTIPROC_EXPECTED_RANKS")) {
    expected_ranks = std::atoi(ranks);
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
