// The untyped pool engine, driven with hand-written task entries (the typed
// front end is tested in pool_*_test.cpp).
#include "multiproc/detail/pool_engine.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "support/timing.hpp"

namespace mp = multiproc;
using mp::detail::pool_config;
using mp::detail::pool_engine;
using mp::detail::task_outcome;
using mp::detail::task_record;
using namespace std::chrono_literals;

namespace {

// Input: one int. Behaviour by value: >= 0 echoes it doubled; -1 raises
// SIGKILL on itself; -2 sleeps for a minute; -3 reports an exception.
bool int_entry(std::span<const std::byte> input,
               std::vector<std::byte>& output) noexcept {
  int value = 0;
  std::memcpy(&value, input.data(), sizeof value);
  if (value == -1) ::raise(SIGKILL);
  if (value == -2) std::this_thread::sleep_for(60s);
  if (value == -3) {
    output.assign(3, std::byte{'e'});
    return false;
  }
  int doubled = value * 2;
  output.resize(sizeof doubled);
  std::memcpy(output.data(), &doubled, sizeof doubled);
  return true;
}

std::shared_ptr<task_record> make_task(
    int value, std::optional<std::chrono::nanoseconds> timeout = {}) {
  auto task = std::make_shared<task_record>();
  task->entry = &int_entry;
  task->input.resize(sizeof value);
  std::memcpy(task->input.data(), &value, sizeof value);
  task->timeout = timeout;
  return task;
}

pool_config config_with(unsigned processes) {
  pool_config config;
  config.processes = processes;
  return config;
}

int int_result(const task_record& task) {
  int value = 0;
  std::memcpy(&value, task.payload.data(), sizeof value);
  return value;
}

}  // namespace

TEST(PoolEngine, RunsTasksAndReturnsTheirResults) {
  pool_engine engine(config_with(2));
  std::vector<std::shared_ptr<task_record>> tasks;
  for (int i = 0; i < 1000; ++i) tasks.push_back(make_task(i));
  engine.submit(tasks);
  for (int i = 0; i < 1000; ++i) {
    tasks[static_cast<std::size_t>(i)]->wait_until(std::nullopt);
    ASSERT_EQ(tasks[static_cast<std::size_t>(i)]->outcome, task_outcome::value);
    EXPECT_EQ(int_result(*tasks[static_cast<std::size_t>(i)]), 2 * i);
  }
  engine.close();
  engine.join();
}

TEST(PoolEngine, WorkerKilledMidTaskFailsOnlyThatTask) {
  pool_engine engine(config_with(2));
  std::vector<std::shared_ptr<task_record>> tasks;
  for (int i = 0; i < 200; ++i) tasks.push_back(make_task(i == 57 ? -1 : i));
  engine.submit(tasks);
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    tasks[i]->wait_until(std::nullopt);
    if (i == 57) {
      EXPECT_EQ(tasks[i]->outcome, task_outcome::died);
      EXPECT_EQ(tasks[i]->exitcode, -SIGKILL);
    } else {
      ASSERT_EQ(tasks[i]->outcome, task_outcome::value) << i;
      EXPECT_EQ(int_result(*tasks[i]), 2 * static_cast<int>(i));
    }
  }
  engine.close();
  engine.join();
}

// Tasks submitted one by one while a worker is busy with a long one go to
// the free worker, not into the busy one's pipeline behind it.
TEST(PoolEngine, ShortTasksDoNotWaitBehindALongOne) {
  pool_engine engine(config_with(2));
  auto slow = make_task(-2);  // a minute
  engine.submit(slow);
  std::this_thread::sleep_for(50ms);  // it has started on one worker
  std::vector<std::shared_ptr<task_record>> quick;
  for (int i = 0; i < 50; ++i) {
    quick.push_back(make_task(i));
    engine.submit(quick.back());
  }
  const auto deadline =
      std::chrono::steady_clock::now() + mp::testing::late_bound(2s);
  for (int i = 0; i < 50; ++i) {
    const auto& task = *quick[static_cast<std::size_t>(i)];
    ASSERT_TRUE(task.wait_until(deadline)) << i;
    EXPECT_EQ(int_result(task), 2 * i);
  }
  EXPECT_FALSE(slow->finished());
  engine.terminate();
  engine.join();
}

TEST(PoolEngine, TimeoutKillsTheWorkerAndTheNextTaskRuns) {
  pool_engine engine(config_with(1));
  mp::testing::stopwatch watch;
  auto slow = make_task(-2, 200ms);
  auto next = make_task(21);
  engine.submit(slow);
  engine.submit(next);
  slow->wait_until(std::nullopt);
  EXPECT_EQ(slow->outcome, task_outcome::timed_out);
  EXPECT_GE(watch.elapsed(), 190ms);
  next->wait_until(std::nullopt);
  EXPECT_EQ(int_result(*next), 42);
  EXPECT_LT(watch.elapsed(), mp::testing::late_bound(200ms));
  engine.close();
  engine.join();
}

TEST(PoolEngine, CancelRunningTaskKillsItsWorker) {
  pool_engine engine(config_with(1));
  auto slow = make_task(-2);
  engine.submit(slow);
  std::this_thread::sleep_for(100ms);
  EXPECT_TRUE(engine.cancel(slow));
  EXPECT_EQ(slow->outcome, task_outcome::cancelled);
  auto next = make_task(5);
  engine.submit(next);
  next->wait_until(std::nullopt);
  EXPECT_EQ(int_result(*next), 10);
  engine.close();
  engine.join();
}

TEST(PoolEngine, TerminateStopsAtOnce) {
  pool_engine engine(config_with(2));
  std::vector<std::shared_ptr<task_record>> tasks;
  for (int i = 0; i < 6; ++i) tasks.push_back(make_task(-2));
  engine.submit(tasks);
  std::this_thread::sleep_for(100ms);
  mp::testing::stopwatch watch;
  engine.terminate();
  engine.join();
  EXPECT_LT(watch.elapsed(), mp::testing::late_bound(100ms));
  for (auto& t : tasks) EXPECT_EQ(t->outcome, task_outcome::cancelled);
}

TEST(PoolEngine, ExceptionPayloadComesBack) {
  pool_engine engine(config_with(1));
  auto task = make_task(-3);
  engine.submit(task);
  task->wait_until(std::nullopt);
  EXPECT_EQ(task->outcome, task_outcome::exception);
  EXPECT_EQ(task->payload.size(), 3U);
  engine.close();
  engine.join();
}
