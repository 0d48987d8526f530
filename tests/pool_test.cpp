// multiproc::pool: Python's Pool/ProcessPoolExecutor API and the failures
// it must survive (spec/pools.md §5, issue 6).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <list>
#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

using multiproc::testing::with_processes;

int square(int x) { return x * x; }
int add(int a, int b) { return a + b; }
pid_t worker_pid(int) { return ::getpid(); }
int sleep_then_echo(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
int crash_on_57(int x) {
  if (x == 57) ::raise(SIGKILL);
  return x;
}
int throw_on_3(int x) {
  if (x == 3) throw std::invalid_argument("three is not allowed");
  return x;
}
std::string shout(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(c));
  return s + "!";
}

// Set by the initializer in each worker (the parent's copy stays 0).
int g_initialized = 0;
int read_initialized(int) { return g_initialized; }

// Trivially copyable, with a codec of its own: each item must go through
// it, not be copied as raw bytes with the rest of its chunk.
struct doubled_on_the_wire {
  int value;
};
int g_doubled_encodes = 0;
int value_of(doubled_on_the_wire item) { return item.value; }

}  // namespace

template <>
struct multiproc::codec<doubled_on_the_wire> {
  static void encode(encoder& out, const doubled_on_the_wire& item) {
    ++g_doubled_encodes;
    out.write(item.value * 2);
  }
  static doubled_on_the_wire decode(decoder& in) {
    return {in.read<int>() / 2};
  }
};

TEST(PoolSubmit, ReturnsTheValue) {
  mp::pool workers(with_processes(2));
  EXPECT_EQ(workers.submit(square, 7).get(), 49);
  EXPECT_EQ(workers.submit(add, 2, 3).get(), 5);
  EXPECT_EQ(workers.submit(shout, std::string("hi")).get(), "HI!");
  EXPECT_EQ(workers.submit([](int x) { return x + 1; }, 41).get(), 42);
  EXPECT_EQ(workers.apply(square, 9), 81);
}

TEST(PoolSubmit, VoidTasksComplete) {
  mp::pool workers(with_processes(1));
  auto f = workers.submit([] {});
  f.get();
  EXPECT_FALSE(f.valid());
}

TEST(PoolSubmit, ExceptionComesBackAsItsOwnType) {
  mp::pool workers(with_processes(1));
  auto f = workers.submit(throw_on_3, 3);
  EXPECT_THROW(
      {
        try {
          f.get();
        } catch (const std::invalid_argument& e) {
          EXPECT_STREQ(e.what(), "three is not allowed");
          throw;
        }
      },
      std::invalid_argument);
  EXPECT_EQ(workers.submit(throw_on_3, 4).get(), 4);  // the pool goes on
}

TEST(PoolDefaults, ProcessesDefaultToCpuCount) {
  mp::pool workers;
  EXPECT_EQ(workers.processes(), mp::cpu_count());
}

TEST(PoolMap, AUserCodecEncodesEachItemOfAChunk) {
  mp::pool workers(with_processes(2));
  std::vector<doubled_on_the_wire> inputs;
  for (int i = 0; i < 40; ++i) inputs.push_back({i});
  g_doubled_encodes = 0;
  auto values = workers.map(value_of, inputs, {.chunksize = 8});
  EXPECT_EQ(g_doubled_encodes, 40);
  ASSERT_EQ(values.size(), 40U);
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(values[static_cast<std::size_t>(i)], i);
  }
}

TEST(PoolMap, ResultsInInputOrder) {
  mp::pool workers(with_processes(2));
  std::vector<int> inputs(1000);
  for (int i = 0; i < 1000; ++i) inputs[static_cast<std::size_t>(i)] = i;
  auto squares = workers.map(square, inputs);
  ASSERT_EQ(squares.size(), 1000U);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(squares[static_cast<std::size_t>(i)], i * i);
}

TEST(PoolMap, EmptyInputGivesEmptyResult) {
  mp::pool workers(with_processes(1));
  EXPECT_TRUE(workers.map(square, std::vector<int>{}).empty());
}

TEST(PoolMap, WorksOnAnyInputRange) {
  mp::pool workers(with_processes(2));
  std::list<int> inputs{1, 2, 3};
  EXPECT_EQ(workers.map(square, inputs), (std::vector<int>{1, 4, 9}));
  EXPECT_EQ(workers.map(square, std::views::iota(0, 4)),
            (std::vector<int>{0, 1, 4, 9}));
}

TEST(PoolMap, FailureIsThrownAfterEveryChunkRan) {
  mp::pool workers(with_processes(2));
  std::vector<int> inputs{1, 2, 3, 4, 5, 6};
  mp::map_options options;
  options.chunksize = 1;
  EXPECT_THROW(workers.map(throw_on_3, inputs, options), std::invalid_argument);
  EXPECT_EQ(workers.map(square, inputs).size(), 6U);
}

TEST(PoolMap, ProgressReportsEveryChunkOnTheCallingThread) {
  mp::pool workers(with_processes(2));
  std::vector<int> inputs(100, 3);
  std::vector<std::size_t> seen;
  const auto caller = std::this_thread::get_id();
  mp::map_options options;
  options.chunksize = 10;
  options.progress = [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    EXPECT_EQ(total, 100U);
    seen.push_back(done);
  };
  workers.map(square, inputs, options);
  ASSERT_EQ(seen.size(), 10U);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(seen.back(), 100U);
}

TEST(PoolStarmap, UnpacksTuples) {
  mp::pool workers(with_processes(2));
  std::vector<std::tuple<int, int>> pairs{{1, 2}, {3, 4}, {5, 6}};
  EXPECT_EQ(workers.starmap(add, pairs), (std::vector<int>{3, 7, 11}));
}

TEST(PoolImap, YieldsInOrderAndReadsInputLazily) {
  mp::pool workers(with_processes(2));
  int pulled = 0;
  auto counted =
      std::views::iota(0, 10000) | std::views::transform([&pulled](int i) {
        ++pulled;
        return i;
      });
  auto results = workers.imap(square, counted);
  int expected = 0;
  for (int value : results) {
    EXPECT_EQ(value, expected * expected);
    if (++expected == 5) break;
  }
  // Only a bounded window was read ahead, not the whole input.
  EXPECT_LT(pulled, 100);
}

TEST(PoolImap, ExceptionAtItsItemThenIterationGoesOn) {
  mp::pool workers(with_processes(2));
  auto results = workers.imap(throw_on_3, std::vector<int>{1, 2, 3, 4, 5});
  std::vector<int> values;
  int errors = 0;
  for (auto it = results.begin(); it != results.end(); ++it) {
    try {
      values.push_back(*it);
    } catch (const std::invalid_argument&) {
      ++errors;
    }
  }
  EXPECT_EQ(values, (std::vector<int>{1, 2, 4, 5}));
  EXPECT_EQ(errors, 1);
}

TEST(PoolImapUnordered, YieldsEveryResult) {
  mp::pool workers(with_processes(2));
  std::multiset<int> got;
  for (int value : workers.imap_unordered(sleep_then_echo,
                                          std::vector<int>{50, 1, 30, 2, 10})) {
    got.insert(value);
  }
  EXPECT_EQ(got, (std::multiset<int>{1, 2, 10, 30, 50}));
}

TEST(PoolWorkers, InitializerRunsInEachWorker) {
  mp::pool_options options = with_processes(2);
  options.initializer = [] { g_initialized = 42; };
  mp::pool workers(std::move(options));
  for (int v : workers.map(read_initialized, std::vector<int>(20, 0)))
    EXPECT_EQ(v, 42);
  EXPECT_EQ(g_initialized, 0);
}

TEST(PoolWorkers, StateBuiltBeforeThePoolIsInEveryWorker) {
  static std::vector<int> table;  // built by the parent, read by workers
  table = {10, 20, 30};
  mp::pool workers(with_processes(2));
  auto lookup = [](int i) { return table[static_cast<std::size_t>(i)]; };
  EXPECT_EQ(workers.map(lookup, std::vector<int>{2, 1, 0}),
            (std::vector<int>{30, 20, 10}));
}

TEST(PoolWorkers, WorkersTakeTheProcessCounterAsInPython) {
  // Relative to the counter now, so that the test holds in any position of
  // a binary run (--gtest_repeat, no ctest).
  const std::string before = mp::process().name();  // Process-N
  const int n = std::stoi(before.substr(before.find('-') + 1));
  mp::pool workers(with_processes(2));
  std::set<std::string> names;
  for (const auto& child : mp::active_children()) names.insert(child.name());
  EXPECT_EQ(names,
            (std::set<std::string>{"PoolWorker-" + std::to_string(n + 1),
                                   "PoolWorker-" + std::to_string(n + 2)}));
  // Python: after Pool(2) the next Process takes the next number.
  EXPECT_EQ(mp::process().name(), "Process-" + std::to_string(n + 3));
}

TEST(PoolWorkers, MaxTasksPerChildReplacesWorkers) {
  mp::pool_options options = with_processes(1);
  options.max_tasks_per_child = 2;
  mp::pool workers(std::move(options));
  std::set<pid_t> pids;
  for (int i = 0; i < 8; ++i) pids.insert(workers.submit(worker_pid, 0).get());
  EXPECT_EQ(pids.size(), 4U);
}

TEST(PoolWorkers, FailingInitializerFailsTasksInsteadOfRespawningForever) {
  mp::pool_options options = with_processes(2);
  options.initializer = [] { throw std::runtime_error("no database"); };
  mp::pool workers(std::move(options));
  try {
    workers.submit(square, 2).get();
    ADD_FAILURE() << "a task ran without its initializer";
  } catch (const mp::process_died& e) {
    EXPECT_STREQ(e.what(), "pool initializer failed: no database");
  }
  EXPECT_THROW(workers.submit(square, 3).get(), mp::process_died);
}

TEST(PoolCrash, KilledWorkerFailsOnlyItsTaskWhileAThousandOthersSucceed) {
  mp::pool workers(with_processes(2));
  std::vector<mp::future<int>> futures;
  for (int i = 0; i < 1000; ++i)
    futures.push_back(workers.submit(crash_on_57, i));
  int succeeded = 0;
  for (int i = 0; i < 1000; ++i) {
    if (i == 57) {
      try {
        futures[57].get();
        ADD_FAILURE() << "the crashed task returned";
      } catch (const mp::process_died& e) {
        EXPECT_EQ(e.exitcode(), -SIGKILL);
      }
    } else {
      EXPECT_EQ(futures[static_cast<std::size_t>(i)].get(), i);
      ++succeeded;
    }
  }
  EXPECT_EQ(succeeded, 999);
  EXPECT_EQ(workers.apply(square, 5), 25);  // a replacement serves
}

// A page shared with the workers, where a task leaves its worker's pid.
std::atomic<pid_t>* shared_victim_pid() {
  static auto* page = static_cast<std::atomic<pid_t>*>(
      ::mmap(nullptr, sizeof(std::atomic<pid_t>), PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  return page;
}

TEST(PoolCrash, WorkerSigkilledFromOutsideFailsOnlyItsTask) {
  shared_victim_pid()->store(0);  // mapped before the workers are forked
  mp::pool workers(with_processes(2));
  auto doomed = workers.submit([] {
    shared_victim_pid()->store(::getpid());
    std::this_thread::sleep_for(60s);
    return -1;
  });
  std::vector<mp::future<int>> others;
  for (int i = 0; i < 1000; ++i) others.push_back(workers.submit(square, i));
  while (shared_victim_pid()->load() == 0) std::this_thread::sleep_for(1ms);
  ASSERT_EQ(::kill(shared_victim_pid()->load(), SIGKILL), 0);
  try {
    doomed.get();
    ADD_FAILURE() << "the killed task returned";
  } catch (const mp::process_died& e) {
    EXPECT_EQ(e.exitcode(), -SIGKILL);
  }
  for (int i = 0; i < 1000; ++i) {
    EXPECT_EQ(others[static_cast<std::size_t>(i)].get(), i * i);
  }
}

TEST(PoolCrash, ChunkOfTheDeadWorkerFailsTheMap) {
  mp::pool workers(with_processes(2));
  std::vector<int> inputs(100);
  for (int i = 0; i < 100; ++i) inputs[static_cast<std::size_t>(i)] = i;
  EXPECT_THROW(workers.map(crash_on_57, inputs), mp::process_died);
  EXPECT_EQ(workers.map(square, std::vector<int>{1, 2}),
            (std::vector<int>{1, 4}));
}

TEST(PoolTimeout, PerTaskTimeoutKillsAndReplacesTheWorker) {
  mp::pool workers(with_processes(1));
  mp::testing::stopwatch watch;
  mp::task_options options;
  options.timeout = 200ms;
  auto slow = workers.submit(options, sleep_then_echo, 60000);
  EXPECT_THROW(slow.get(), mp::timeout_error);
  EXPECT_GE(watch.elapsed(), 190ms);
  EXPECT_LT(watch.elapsed(), mp::testing::late_bound(200ms));
  EXPECT_EQ(workers.apply(square, 4), 16);
}

TEST(PoolTimeout, PoolWideDefaultApplies) {
  mp::pool_options options = with_processes(2);
  options.task_timeout = 100ms;
  mp::pool workers(std::move(options));
  EXPECT_THROW(workers.submit(sleep_then_echo, 60000).get(), mp::timeout_error);
  EXPECT_EQ(workers.submit(sleep_then_echo, 1).get(), 1);
}

TEST(PoolTimeout, StormOfTimeoutsLeavesOtherTasksIntact) {
  mp::pool workers(with_processes(2));
  mp::task_options short_fuse;
  short_fuse.timeout = 30ms;
  std::vector<mp::future<int>> doomed, fine;
  for (int i = 0; i < 20; ++i) {
    doomed.push_back(workers.submit(short_fuse, sleep_then_echo, 60000));
    fine.push_back(workers.submit(square, i));
  }
  for (auto& f : doomed) EXPECT_THROW(f.get(), mp::timeout_error);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(fine[static_cast<std::size_t>(i)].get(), i * i);
}

TEST(PoolCancel, QueuedTaskIsRemovedAndNeverRuns) {
  mp::pool workers(with_processes(1));
  auto blocker = workers.submit(sleep_then_echo, 300);
  auto queued = workers.submit(sleep_then_echo, 7);
  EXPECT_TRUE(queued.cancel());
  EXPECT_THROW(queued.get(), mp::cancelled_error);
  EXPECT_EQ(blocker.get(), 300);
}

TEST(PoolCancel, RunningTaskKillsAndReplacesItsWorker) {
  mp::pool workers(with_processes(1));
  auto running = workers.submit(sleep_then_echo, 60000);
  std::this_thread::sleep_for(100ms);
  mp::testing::stopwatch watch;
  EXPECT_TRUE(running.cancel());
  EXPECT_THROW(running.get(), mp::cancelled_error);
  EXPECT_EQ(workers.apply(square, 3), 9);
  EXPECT_LT(watch.elapsed(), mp::testing::late_bound(0ms));
}

TEST(PoolCancel, FinishedTaskCannotBeCancelled) {
  mp::pool workers(with_processes(1));
  auto f = workers.submit(square, 2);
  f.wait();
  EXPECT_FALSE(f.cancel());
  EXPECT_EQ(f.get(), 4);
}

TEST(PoolShutdown, DestructorFinishesOutstandingWork) {
  std::vector<mp::future<int>> futures;
  {
    mp::pool workers(with_processes(2));
    for (int i = 0; i < 10; ++i)
      futures.push_back(workers.submit(sleep_then_echo, 20));
  }
  for (auto& f : futures) {
    EXPECT_EQ(f.wait_for(0s), std::future_status::ready);
    EXPECT_EQ(f.get(), 20);
  }
}

TEST(PoolShutdown, TerminateStopsAtOnceAndFailsUnfinishedTasks) {
  mp::pool workers(with_processes(2));
  std::vector<mp::future<int>> futures;
  for (int i = 0; i < 6; ++i)
    futures.push_back(workers.submit(sleep_then_echo, 60000));
  std::this_thread::sleep_for(100ms);
  mp::testing::stopwatch watch;
  workers.terminate();
  workers.join();
  EXPECT_LT(watch.elapsed(), mp::testing::late_bound(0ms));
  for (auto& f : futures) EXPECT_THROW(f.get(), mp::cancelled_error);
}

TEST(PoolShutdown, TerminateEscalatesToSigkillForAWorkerIgnoringSigterm) {
  mp::pool_options options = with_processes(1);
  options.kill_grace = 200ms;
  mp::pool workers(std::move(options));
  auto stubborn = workers.submit([] {
    ::signal(SIGTERM, SIG_IGN);
    std::this_thread::sleep_for(60s);
  });
  std::this_thread::sleep_for(100ms);
  mp::testing::stopwatch watch;
  workers.terminate();
  workers.join();
  EXPECT_GE(watch.elapsed(), 190ms);
  EXPECT_LT(watch.elapsed(), mp::testing::late_bound(200ms));
  EXPECT_THROW(stubborn.get(), mp::cancelled_error);
}

TEST(PoolMisuse, WorkAfterCloseIsRefused) {
  mp::pool workers(with_processes(1));
  workers.close();
  try {
    workers.submit(square, 1);
    ADD_FAILURE() << "submit after close() succeeded";
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(), "Pool not running");
  }
  EXPECT_THROW(workers.map(square, std::vector<int>{1}), mp::usage_error);
  workers.join();
}

TEST(PoolMisuse, JoinBeforeCloseIsRefused) {
  mp::pool workers(with_processes(1));
  try {
    workers.join();
    ADD_FAILURE() << "join() on a running pool succeeded";
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(), "Pool is still running");
  }
}

TEST(PoolMisuse, CloseAndJoinAreIdempotent) {
  mp::pool workers(with_processes(1));
  workers.close();
  workers.close();
  workers.join();
  workers.join();
}
