// multiproc::mpi under `mpiexec -n 4` (and, the same binary, without a
// launcher): the world's roles and the pool's contract. main() builds the
// world first, as users must; only rank 0 gets past it and runs the tests,
// and mpiexec's exit code 0 says that every rank ended cleanly.
#include <dlfcn.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <multiproc/mpi.hpp>
#include <set>
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
int sleep_a_little() {
  std::this_thread::sleep_for(100ms);
  return 1;
}
// Long enough that every worker, rank 0's too, gets some of a batch.
int slow_rank() {
  std::this_thread::sleep_for(20ms);
  return rank_of_task();
}
int worker_token = 0;  // set by the initializer, in each worker
void set_token() { worker_token = 42; }
int token_of_worker() { return worker_token; }

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

// Tasks run under the agents (rank 0 has no workers by default), each on
// some agent, and every agent gets some.
TEST(MpiPool, TasksRunOnTheAgents) {
  mp::mpi::pool workers(*the_world, {.processes_per_agent = 1});
  std::vector<int> inputs(60, 0);
  std::set<int> ranks;
  for (int rank : workers.map([](int) { return rank_of_task(); }, inputs,
                              {.chunksize = 1})) {
    ranks.insert(rank);
  }
  if (expected_ranks == 1) {
    EXPECT_EQ(ranks, std::set<int>{0});  // no agents: rank 0's own workers
    return;
  }
  std::set<int> agents;
  for (int rank = 1; rank < expected_ranks; ++rank) agents.insert(rank);
  EXPECT_EQ(ranks, agents);
}

TEST(MpiPool, ClientProcessesRunTasksOnRankZeroToo) {
  mp::mpi::pool workers(*the_world,
                        {.processes_per_agent = 1, .client_processes = 1});
  std::set<int> ranks;
  for (int round = 0; round < 20 && ranks.count(0) == 0; ++round) {
    std::vector<mp::future<int>> futures;
    for (int i = 0; i < 8; ++i) futures.push_back(workers.submit(&slow_rank));
    for (auto& f : futures) ranks.insert(f.get());
  }
  EXPECT_EQ(ranks.count(0), 1u);
  if (expected_ranks > 1) {
    EXPECT_GT(ranks.size(), 1u);
  }
}

TEST(MpiPool, TheInitializerRunsInEveryWorkerOfEveryAgent) {
  mp::mpi::pool workers(*the_world,
                        {.processes_per_agent = 2, .initializer = &set_token});
  std::vector<int> inputs(40, 0);
  for (int token : workers.map([](int) { return token_of_worker(); }, inputs,
                               {.chunksize = 1})) {
    EXPECT_EQ(token, 42);
  }
}

TEST(MpiPool, ANonPortableInitializerIsRefused) {
  int captured = 1;
  try {
    mp::mpi::pool workers(*the_world,
                          {.initializer = [captured] { (void)captured; }});
    FAIL() << "accepted";
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(),
                 "multiproc::mpi::pool cannot send this initializer: use a "
                 "function pointer, a captureless lambda or an empty function "
                 "object, with arguments multiproc::codec can transfer");
  }
}

TEST(MpiPool, ManyTinyTasksComeBackInOrder) {
  mp::mpi::pool workers(*the_world, {.processes_per_agent = 1});
  std::vector<mp::future<int>> futures;
  for (int i = 0; i < 3000; ++i) futures.push_back(workers.submit(&square, i));
  for (int i = 0; i < 3000; ++i)
    EXPECT_EQ(futures[static_cast<size_t>(i)].get(), i * i);
}

TEST(MpiPool, WorkersThatRetireAreReplacedOnTheAgents) {
  mp::mpi::pool workers(*the_world,
                        {.processes_per_agent = 1, .max_tasks_per_child = 2});
  std::vector<int> inputs;
  for (int i = 0; i < 30; ++i) inputs.push_back(i);
  const std::vector<int> squares =
      workers.map(&square, inputs, {.chunksize = 1});
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(squares[static_cast<size_t>(i)], i * i);
  }
  if (expected_ranks > 1) {
    EXPECT_NE(workers.submit(&rank_of_task).get(), 0);
  }
}

// Also without agents: rank 0's workers come from its forkserver, which
// has only the modules loaded when the world was created.
TEST(MpiPool, CodeLoadedAfterTheWorldIsRefusedAtSubmit) {
  void* library = ::dlopen(MULTIPROC_LATE_LIBRARY, RTLD_NOW);
  ASSERT_NE(library, nullptr) << ::dlerror();
  auto* late_square =
      reinterpret_cast<int (*)(int)>(::dlsym(library, "late_square"));
  ASSERT_NE(late_square, nullptr);
  mp::mpi::pool workers(*the_world, {.processes_per_agent = 1});
  const std::string expected = std::string("the task's code is in ") +
                               MULTIPROC_LATE_LIBRARY +
                               ", loaded after multiproc::mpi::world was "
                               "created";
  try {
    workers.submit(late_square, 3);
    FAIL() << "submitted";
  } catch (const mp::usage_error& e) {
    EXPECT_EQ(e.what(), expected);
  }
  std::vector<int> inputs{1, 2};
  EXPECT_THROW(workers.map(late_square, inputs), mp::usage_error);
  EXPECT_EQ(workers.submit(&square, 3).get(), 9);
}

TEST(MpiPool, CancelOfAQueuedTaskDropsIt) {
  mp::mpi::pool workers(*the_world, {.processes_per_agent = 1});
  std::vector<mp::future<int>> sleepers;
  for (int i = 0; i < expected_ranks * 3; ++i) {
    sleepers.push_back(workers.submit(&sleep_a_little));
  }
  auto queued = workers.submit(&square, 6);
  queued.cancel();
  EXPECT_THROW(queued.get(), mp::cancelled_error);
  for (auto& s : sleepers) EXPECT_EQ(s.get(), 1);
}

TEST(MpiPool, TerminateStopsOnlyThatPool) {
  mp::mpi::pool kept(*the_world, {.processes_per_agent = 1});
  mp::mpi::pool stopped(*the_world, {.processes_per_agent = 1});
  auto running = stopped.submit(&sleep_long);
  std::this_thread::sleep_for(100ms);
  stopped.terminate();
  EXPECT_THROW(running.get(), mp::cancelled_error);
  stopped.join();
  EXPECT_EQ(kept.submit(&square, 7).get(), 49);
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
