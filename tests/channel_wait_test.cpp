// mp::wait over connections, processes and descriptors (API.md Part 4;
// spec/ipc.md §5 case 33): positions of the ready ones, event driven,
// never shortened by a signal, and Part 1's wait over processes unchanged.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <ctime>
#include <multiproc/multiproc.hpp>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;
using mp::testing::late_bound;
using mp::testing::stopwatch;
using mp::testing::usage_message;
using positions = std::vector<std::size_t>;

namespace {

TEST(ChannelWait, ReturnsThePositionsOfReadyConnections) {
  auto [c1, c2] = mp::pipe<int>();
  auto [c3, c4] = mp::pipe<int>();
  c4.send(1);  // c3 is readable
  EXPECT_EQ(mp::wait({c1, c3}, 100ms), positions{1});
  stopwatch clock;
  EXPECT_EQ(mp::wait({c1}, 100ms), positions{});
  EXPECT_GE(clock.elapsed(), 100ms);
  EXPECT_LT(clock.elapsed(), late_bound(100ms));
  c2.send(2);
  EXPECT_EQ(mp::wait({c1, c3}), (positions{0, 1}));
  EXPECT_EQ(c1.recv(), 2);
  EXPECT_EQ(c3.recv(), 1);
  EXPECT_EQ(mp::wait({c1, c3}, 0s), positions{});
}

TEST(ChannelWait, AnEmptyListReturnsAtOnce) {
  stopwatch clock;
  EXPECT_EQ(mp::wait(std::span<const mp::waitable>{}), positions{});
  EXPECT_EQ(mp::wait(std::initializer_list<mp::waitable>{}, 1h), positions{});
  EXPECT_LT(clock.elapsed(), late_bound(0ms));
}

TEST(ChannelWait, ASendFromAnotherProcessWakesItAtOnce) {
  auto [mine, theirs] = mp::pipe<int>();
  mp::process child([theirs]() mutable {
    std::this_thread::sleep_for(200ms);
    theirs.send(5);
  });
  child.start();
  theirs.close();
  stopwatch clock;
  EXPECT_EQ(mp::wait({mine}), positions{0});
  EXPECT_GE(clock.elapsed(), 150ms);
  EXPECT_LT(clock.elapsed(), late_bound(200ms));
  EXPECT_EQ(mine.recv(), 5);
  child.join();
}

TEST(ChannelWait, EndOfFileIsReady) {
  auto [a, b] = mp::pipe<int>();
  std::thread closer([&] {
    std::this_thread::sleep_for(100ms);
    b.close();
  });
  stopwatch clock;
  EXPECT_EQ(mp::wait({a}, 10s), positions{0});
  EXPECT_LT(clock.elapsed(), late_bound(100ms));
  closer.join();
  EXPECT_THROW((void)a.recv(), mp::eof_error);
}

TEST(ChannelWait, APeerKilledIsSeenPromptly) {
  auto [mine, theirs] = mp::pipe<int>();
  mp::testing::pipe_pair release;
  mp::process child([theirs, &release]() mutable {
    release.close_write();
    (void)theirs.poll();  // uses only its end
    mp::testing::block_until_released(release.read_end());
  });
  child.start();
  release.close_read();
  mp::testing::kill_on_exit guard{child};
  (void)mine.poll();  // the parent uses only its end
  std::thread killer([&] {
    std::this_thread::sleep_for(100ms);
    child.kill();
  });
  stopwatch clock;
  EXPECT_EQ(mp::wait({mine}, 10s), positions{0});
  EXPECT_LT(clock.elapsed(), late_bound(200ms));
  killer.join();
  child.join();
}

TEST(ChannelWait, MixesProcessesConnectionsAndDescriptors) {
  auto [a, b] = mp::pipe<int>();
  mp::testing::pipe_pair fd;
  mp::testing::pipe_pair release;
  mp::process child([&release]() {
    release.close_write();
    mp::testing::block_until_released(release.read_end());
  });
  child.start();
  release.close_read();
  mp::testing::kill_on_exit guard{child};
  const int raw = fd.read_end();
  EXPECT_EQ(mp::wait({child, a, mp::waitable(raw)}, 50ms), positions{});
  // The descriptor.
  mp::testing::write_all(fd.write_end(), "x");
  EXPECT_EQ(mp::wait({child, a, mp::waitable(raw)}, 1s), positions{2});
  char c;
  ASSERT_EQ(::read(raw, &c, 1), 1);
  // The connection, from another thread while waiting.
  std::thread sender([&] {
    std::this_thread::sleep_for(50ms);
    b.send(1);
  });
  EXPECT_EQ(mp::wait({child, a, mp::waitable(raw)}), positions{1});
  sender.join();
  EXPECT_EQ(a.recv(), 1);
  // The process, once it ends (not reaped by wait).
  release.close_write();
  std::vector<mp::waitable> objects{child, a, mp::waitable(raw)};
  EXPECT_EQ(mp::wait(std::span<const mp::waitable>(objects), 10s),
            positions{0});
  EXPECT_TRUE(child.join(late_bound(0ms)));
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(ChannelWait, ManyWaitersOnOnePipeAllWake) {
  auto [a, b] = mp::pipe<int>();
  auto [c, d] = mp::pipe<int>();
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&, i] {
      // Half wait on a alone, half on a and an idle end of the same pipe.
      const auto got =
          i % 2 == 0 ? mp::wait({a}, 10s) : mp::wait({c, b, a}, 10s);
      if (!got.empty()) woken.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(100ms);
  stopwatch clock;
  b.send(1);
  for (auto& w : waiters) w.join();
  EXPECT_EQ(woken.load(), 4);
  EXPECT_LT(clock.elapsed(), late_bound(100ms));
  (void)d;
}

double cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

TEST(ChannelWait, AWaiterKilledInsideWaitStopsCounting) {
  auto [a, b] = mp::pipe<int>();
  struct flags {
    std::atomic<int> waiting{0};
  };
  mp::testing::shared<flags> f;
  mp::process waiter([b, &f] {
    f->waiting.store(1);
    (void)mp::wait({b});
  });
  waiter.start();
  while (f->waiting.load() == 0) std::this_thread::sleep_for(100us);
  std::this_thread::sleep_for(50ms);  // inside wait()
  waiter.kill();
  waiter.join();
  // The parent uses both ends, so neither sees end-of-file; b now has a
  // message that nobody reads, and the dead waiter watched b.
  (void)a.poll();          // uses a (only: so b's peer seems gone for a moment)
  EXPECT_FALSE(b.poll());  // uses b too: it counts on both ends again
  a.send(1);
  EXPECT_TRUE(b.poll());
  // A wait on a (not ready) must sleep, not spin passing on a wake-up
  // owed to a waiter that is gone.
  const double cpu = cpu_seconds();
  stopwatch clock;
  EXPECT_EQ(mp::wait({a}, 300ms), positions{});
  EXPECT_GE(clock.elapsed(), 300ms);
  EXPECT_LT(cpu_seconds() - cpu, 0.1);
  EXPECT_EQ(b.recv(), 1);
}

TEST(ChannelWait, ASignalNeverShortensTheWait) {
  struct sigaction action {};
  action.sa_handler = [](int) {};
  sigemptyset(&action.sa_mask);
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGUSR1, &action, &old), 0);
  auto [a, b] = mp::pipe<int>();
  const pthread_t me = ::pthread_self();
  std::atomic<bool> stop{false};
  std::thread signaller([&] {
    while (!stop.load()) {
      ::pthread_kill(me, SIGUSR1);
      std::this_thread::sleep_for(5ms);
    }
  });
  stopwatch clock;
  EXPECT_EQ(mp::wait({a}, 300ms), positions{});
  EXPECT_GE(clock.elapsed(), 300ms);
  stop.store(true);
  signaller.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  (void)b;
}

TEST(ChannelWait, ChecksTheObjectsFirstWithPythonsMessages) {
  auto [a, b] = mp::pipe<int>();
  auto [reader, writer] = mp::pipe<int>(false);
  b.close();
  EXPECT_EQ(usage_message([&] {
              (void)mp::wait({a, b}, 0s);
            }),
            "handle is closed");
  EXPECT_EQ(usage_message([&] { (void)mp::wait({writer}, 0s); }),
            "connection is write-only");
  mp::process never_started([] {});
  EXPECT_EQ(usage_message([&] {
              (void)mp::wait({a, never_started}, 0s);
            }),
            "process not started");
  (void)reader;
}

TEST(ChannelWait, PartOnesWaitOverProcessesStillWorks) {
  mp::process quick([] {});
  quick.start();
  std::vector<mp::process> list{quick};
  const auto ended = mp::wait(std::span<const mp::process>(list), 10s);
  ASSERT_EQ(ended.size(), 1u);
  quick.join();
}

}  // namespace
