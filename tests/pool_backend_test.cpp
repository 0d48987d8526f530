// The pool's dispatcher over a second worker back end: workers that are
// threads of this process, exchanging frames through in-memory queues and
// two eventfds. If the dispatcher reached past worker_backend.hpp into the
// fork back end (its sockets, pids or process groups), these tests would
// not run: they prove the seam an MPI or forkserver back end would use.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "multiproc/detail/pool_engine.hpp"
#include "multiproc/detail/remote_call.hpp"
#include "pool/wire.hpp"
#include "pool/worker_backend.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
namespace wire = mp::detail::wire;
using mp::detail::pool_config;
using mp::detail::pool_engine;
using mp::detail::task_outcome;
using mp::detail::task_record;
using namespace std::chrono_literals;

namespace {

struct frame {
  wire::frame_header header{};
  std::vector<std::byte> payload;
};

// A worker hosted on a thread. It speaks wire.hpp's protocol (claims its
// slot, says `started` for a timed task, reports the outcome), but it
// cannot stop a running task: signal() makes it end once the task
// returns, dropping that task's result as a killed process would.
class thread_worker final : public mp::detail::worker {
 public:
  explicit thread_worker(const mp::detail::worker_spawn_args& args)
      : ready_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        dead_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
        max_tasks_(args.max_tasks_per_child) {
    std::function<void()> initializer;
    if (args.initializer != nullptr) initializer = *args.initializer;
    thread_ = std::thread([this, initializer] { serve(initializer); });
  }
  ~thread_worker() override {
    {
      std::lock_guard lock(mutex_);
      killed_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
    ::close(ready_);
    ::close(dead_);
  }
  thread_worker(const thread_worker&) = delete;
  thread_worker& operator=(const thread_worker&) = delete;

  int channel() const noexcept override { return ready_; }
  int death_fd() const noexcept override { return dead_; }
  wire::slot& slot(std::uint32_t index) noexcept override {
    return page_.slots[index];
  }

  void queue_frame(wire::frame_kind kind, std::uint32_t slot,
                   std::uint64_t entry, std::span<const std::byte> payload,
                   std::int64_t timeout_ns) override {
    unsent_.push_back({{kind, slot, entry, payload.size(), timeout_ns},
                       {payload.begin(), payload.end()}});
  }
  void flush() noexcept override {
    {
      std::lock_guard lock(mutex_);
      for (auto& f : unsent_) inbox_.push_back(std::move(f));
    }
    unsent_.clear();
    changed_.notify_all();
  }
  bool has_unsent() const noexcept override { return !unsent_.empty(); }

  void receive(const mp::detail::frame_handler& on_frame) override {
    std::uint64_t count = 0;
    [[maybe_unused]] ssize_t n = ::read(ready_, &count, sizeof count);
    std::deque<frame> arrived;
    {
      std::lock_guard lock(mutex_);
      arrived.swap(outbox_);
    }
    for (const auto& f : arrived) on_frame(f.header, f.payload.data());
  }
  bool hung_up() const noexcept override { return false; }

  void signal(int) noexcept override {
    {
      std::lock_guard lock(mutex_);
      killed_ = true;
    }
    changed_.notify_all();
  }
  int reap() override {
    thread_.join();
    return killed_ ? -SIGKILL : 0;
  }

 private:
  void send(wire::frame_kind kind, std::uint32_t slot,
            std::vector<std::byte> payload = {}) {
    {
      std::lock_guard lock(mutex_);
      outbox_.push_back(
          {{kind, slot, 0, payload.size(), 0}, std::move(payload)});
    }
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(ready_, &one, sizeof one);
  }

  void serve(const std::function<void()>& initializer) {
    try {
      if (initializer) initializer();
      serve_tasks();
    } catch (const std::exception& e) {
      const std::string what = e.what();
      const auto* bytes = reinterpret_cast<const std::byte*>(what.data());
      send(wire::frame_kind::init_failed, 0, {bytes, bytes + what.size()});
    }
    std::uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(dead_, &one, sizeof one);
  }

  void serve_tasks() {
    for (unsigned ran = 0; max_tasks_ == 0 || ran < max_tasks_;) {
      frame task;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [this] { return killed_ || !inbox_.empty(); });
        if (killed_) return;
        task = std::move(inbox_.front());
        inbox_.pop_front();
      }
      if (task.header.kind == wire::frame_kind::stop) return;
      wire::slot& s = page_.slots[task.header.slot];
      std::uint32_t expected = wire::slot_queued;
      if (!s.state.compare_exchange_strong(expected, wire::slot_running)) {
        send(wire::frame_kind::skipped, task.header.slot);
        continue;
      }
      if (task.header.timeout_ns > 0) {
        send(wire::frame_kind::started, task.header.slot);
      }
      // Frames name the entry as a code_ref, as for a forked worker.
      auto entry = mp::detail::unpack_entry(task.header.entry);
      std::vector<std::byte> output;
      const bool ok = entry(task.payload, output);
      s.state.store(wire::slot_finished);
      {
        std::lock_guard lock(mutex_);
        if (killed_) return;
      }
      send(ok ? wire::frame_kind::value : wire::frame_kind::exception,
           task.header.slot, std::move(output));
      ++ran;
    }
  }

  const int ready_;  // readable: outbox_ has frames
  const int dead_;   // readable: serve() has returned
  const unsigned max_tasks_;
  wire::slot_page page_{};
  std::vector<frame> unsent_;  // the dispatcher's only
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<frame> inbox_;   // under mutex_
  std::deque<frame> outbox_;  // under mutex_
  bool killed_ = false;       // under mutex_
  std::thread thread_;
};

class thread_backend final : public mp::detail::worker_backend {
 public:
  std::unique_ptr<mp::detail::worker> spawn(
      mp::detail::worker_spawn_args args) override {
    ++spawned;
    return std::make_unique<thread_worker>(args);
  }
  std::atomic<int> spawned{0};
};

// Tasks run here, in this process: what they count is visible to the test.
std::atomic<int> g_runs{0};
std::atomic<bool> g_blocker_started{false};
std::atomic<bool> g_blocker_release{false};

// Input: one int; output: the int doubled. -1 blocks until released.
bool int_entry(std::span<const std::byte> input,
               std::vector<std::byte>& output) noexcept {
  ++g_runs;
  int value = 0;
  std::memcpy(&value, input.data(), sizeof value);
  if (value == -1) {
    g_blocker_started = true;
    const auto give_up = std::chrono::steady_clock::now() + 30s;
    while (!g_blocker_release && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(1ms);
    }
  }
  const int doubled = value * 2;
  output.resize(sizeof doubled);
  std::memcpy(output.data(), &doubled, sizeof doubled);
  return true;
}

std::shared_ptr<task_record> make_task(int value) {
  auto task = std::make_shared<task_record>();
  task->entry = &int_entry;
  task->input.resize(sizeof value);
  std::memcpy(task->input.data(), &value, sizeof value);
  return task;
}

int int_result(const task_record& task) {
  int value = 0;
  std::memcpy(&value, task.payload.data(), sizeof value);
  return value;
}

bool wait_done(const task_record& task) {
  return task.wait_until(std::chrono::steady_clock::now() +
                         mp::testing::late_bound(5s));
}

pool_config config_over(const std::shared_ptr<thread_backend>& backend,
                        unsigned processes) {
  pool_config config;
  config.processes = processes;
  config.backend = backend;
  return config;
}

TEST(PoolBackend, TasksRunThroughASecondBackEnd) {
  auto backend = std::make_shared<thread_backend>();
  g_runs = 0;
  pool_engine engine(config_over(backend, 2));
  std::vector<std::shared_ptr<task_record>> tasks;
  for (int i = 0; i < 200; ++i) tasks.push_back(make_task(i));
  // Half one by one, half at once: both paths into the queue.
  for (int i = 0; i < 100; ++i)
    engine.submit(tasks[static_cast<std::size_t>(i)]);
  engine.submit(std::span(tasks).subspan(100));
  for (int i = 0; i < 200; ++i) {
    const auto& task = *tasks[static_cast<std::size_t>(i)];
    ASSERT_TRUE(wait_done(task)) << i;
    ASSERT_EQ(task.outcome, task_outcome::value) << i;
    EXPECT_EQ(int_result(task), 2 * i);
  }
  engine.close();
  engine.join();
  EXPECT_EQ(g_runs.load(), 200);  // here, not in forked workers
  EXPECT_EQ(backend->spawned.load(), 2);
}

TEST(PoolBackend, ADeathRequeuesTheUnstartedTaskOnAReplacement) {
  auto backend = std::make_shared<thread_backend>();
  g_blocker_started = false;
  g_blocker_release = false;
  pool_engine engine(config_over(backend, 1));
  auto blocker = make_task(-1);
  auto behind = make_task(21);
  // One submit: both reach the one worker, the second queued behind.
  std::shared_ptr<task_record> both[] = {blocker, behind};
  engine.submit(both);
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (!g_blocker_started && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(g_blocker_started);
  // Running: the worker is killed (it ends once the task returns).
  EXPECT_TRUE(engine.cancel(blocker));
  g_blocker_release = true;
  ASSERT_TRUE(wait_done(*behind));
  EXPECT_EQ(behind->outcome, task_outcome::value);
  EXPECT_EQ(int_result(*behind), 42);
  EXPECT_EQ(blocker->outcome, task_outcome::cancelled);
  EXPECT_EQ(backend->spawned.load(), 2);  // the replacement ran it
  engine.close();
  engine.join();
}

TEST(PoolBackend, AnInitializerFailureBreaksThePool) {
  auto backend = std::make_shared<thread_backend>();
  pool_config config = config_over(backend, 1);
  config.initializer = [] { throw std::runtime_error("no database"); };
  pool_engine engine(std::move(config));
  auto task = make_task(1);
  engine.submit(task);
  ASSERT_TRUE(wait_done(*task));
  EXPECT_EQ(task->outcome, task_outcome::broken);
  EXPECT_NE(task->message.find("no database"), std::string::npos)
      << task->message;
  engine.terminate();
  engine.join();
}

}  // namespace
