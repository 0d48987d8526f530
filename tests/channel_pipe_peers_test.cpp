// mp::pipe across processes that end, by the sides rule (API.md Part 4):
// the parent's unused copy of its child's end does not count, a peer
// SIGKILLed while it sends or while the other end waits is reported
// promptly, never waited on, and no SIGPIPE is ever raised (spec/ipc.md §5
// cases 31 and 32).
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
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

namespace {

void wait_for(const std::atomic<int>& flag, int value) {
  while (flag.load() != value) std::this_thread::sleep_for(100us);
}

std::vector<std::byte> stamped(std::size_t size, std::uint64_t number) {
  std::vector<std::byte> bytes(size);
  for (std::size_t i = 0; i + 8 <= size; i += 8) {
    const std::uint64_t word = number * 0x9E3779B97F4A7C15ull ^ i;
    std::memcpy(bytes.data() + i, &word, 8);
  }
  std::memcpy(bytes.data(), &number, 8);
  return bytes;
}

TEST(ChannelPipePeers, ParentsUnusedCopyOfAKilledChildsEndDoesNotCount) {
  // Case 32: the parent never closes its copy of the child's end.
  auto [parent_end, child_end] = mp::pipe<int>();
  mp::testing::pipe_pair release;
  mp::process child([child_end, &release]() mutable {
    release.close_write();
    child_end.send(1);  // uses only its own end
    mp::testing::block_until_released(release.read_end());
  });
  child.start();
  release.close_read();
  mp::testing::kill_on_exit guard{child};
  EXPECT_EQ(parent_end.recv(), 1);  // the parent uses only its own end
  std::thread killer([&] {
    std::this_thread::sleep_for(100ms);
    child.kill();
  });
  stopwatch clock;
  EXPECT_THROW((void)parent_end.recv(), mp::eof_error);  // blocked, then EOF
  EXPECT_GE(clock.elapsed(), 100ms);
  EXPECT_LT(clock.elapsed(), late_bound(200ms));
  killer.join();
  child.join();
  EXPECT_EQ(child.exitcode(), -SIGKILL);
  // And sending now fails at once, with no SIGPIPE.
  EXPECT_THROW(parent_end.send(2), mp::broken_pipe_error);
  EXPECT_TRUE(parent_end.poll());
}

TEST(ChannelPipePeers, AParentThatNeverUsedThePipeCountsUntilItCloses) {
  auto [a, b] = mp::pipe<int>();
  mp::process child([b]() mutable {
    try {
      (void)b.recv();
      mp::exit(1);
    } catch (const mp::eof_error&) {
      mp::exit(7);
    }
  });
  child.start();
  mp::testing::kill_on_exit guard{child};
  // The parent holds both ends and has used neither: it counts as the
  // child's peer, so the child waits...
  EXPECT_FALSE(child.join(300ms));
  // ...until the parent closes the end it would have sent on.
  stopwatch clock;
  a.close();
  ASSERT_TRUE(child.join(late_bound(100ms)));
  EXPECT_EQ(child.exitcode(), 7);
  EXPECT_LT(clock.elapsed(), late_bound(100ms));
}

TEST(ChannelPipePeers, SendingBeforeThePeerStartsStillCountsOnBothEnds) {
  auto [a, b] = mp::pipe<int>();
  a.send(41);  // before any other process held the pipe
  mp::process child([b]() mutable { b.send(b.recv() + 1); });
  child.start();
  b.close();
  EXPECT_EQ(a.recv(), 42);
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_THROW((void)a.recv(), mp::eof_error);
}

TEST(ChannelPipePeers, TheChildDoesNotHoldAnEndClosedBeforeItsStart) {
  auto [a, b] = mp::pipe<int>();
  auto [ra, rb] = mp::pipe<int>();  // a second pipe the child reports on
  b.close();
  mp::process child([a, rb]() mutable {
    // The parent closed b before starting us: we hold only a, so a's peer
    // (b) has nobody.
    try {
      a.send(1);
      rb.send(0);
    } catch (const mp::broken_pipe_error&) {
      rb.send(1);
    }
  });
  child.start();
  rb.close();
  EXPECT_EQ(ra.recv(), 1);
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(ChannelPipePeers, APeerKilledWhileSendingA64MiBMessageLeavesNothing) {
  constexpr std::size_t kSize = std::size_t{64} << 20;
  struct flags {
    std::atomic<int> in_send{0};
    std::atomic<std::uint64_t> returned{0};
  };
  // The kill can land between two sends (while the next message is being
  // built) on a loaded machine: what the reader sees must be right either
  // way, and the test tries again until one kill lands inside send().
  bool killed_inside = false;
  for (int attempt = 0; attempt < 5 && !killed_inside; ++attempt) {
    auto [reader, writer] = mp::pipe(
        mp::pipe_options{.duplex = false, .max_bytes = std::size_t{256} << 20});
    mp::testing::shared<flags> f;
    mp::process sender([writer, &f]() mutable {
      for (std::uint64_t n = 0;; ++n) {
        const auto message = stamped(kSize, n);
        f->in_send.store(1);
        writer.send_bytes(std::span<const std::byte>(message));
        f->in_send.store(0);
        f->returned.store(n + 1);
      }
    });
    sender.start();
    writer.close();
    std::uint64_t next = 0;
    for (; next < 2; ++next)
      EXPECT_EQ(reader.recv_bytes(), stamped(kSize, next));
    wait_for(f->in_send, 1);
    std::this_thread::sleep_for(2ms);  // into the 64 MiB copy
    sender.kill();
    sender.join();
    killed_inside = f->in_send.load() == 1;
    const std::uint64_t returned = f->returned.load();
    for (; next < returned; ++next)
      ASSERT_EQ(reader.recv_bytes(), stamped(kSize, next));
    // The message being sent is not there, or (if its send had just
    // returned) is there whole; then end-of-file.
    if (reader.poll()) {
      try {
        EXPECT_EQ(reader.recv_bytes(), stamped(kSize, returned));
      } catch (const mp::eof_error&) {
      }
    }
    EXPECT_THROW((void)reader.recv_bytes(), mp::eof_error);
  }
  EXPECT_TRUE(killed_inside) << "never caught the sender inside send()";
}

TEST(ChannelPipePeers, AReceiverKilledInsideRecvOfA256MiBMessageLeavesItWhole) {
  constexpr std::size_t kSize = std::size_t{256} << 20;
  auto [a, b] = mp::pipe(mp::pipe_options{.max_bytes = std::size_t{512} << 20});
  struct flags {
    std::atomic<int> state{0};  // 1: in recv, 2: recv returned
  };
  bool killed_inside = false;
  for (std::uint64_t attempt = 0; attempt < 5 && !killed_inside; ++attempt) {
    mp::testing::shared<flags> f;
    const auto message = stamped(kSize, attempt);
    a.send_bytes(std::span<const std::byte>(message));
    mp::process receiver([b, &f]() mutable {
      f->state.store(1);
      const auto got = b.recv_bytes();
      f->state.store(2);
      for (;;) ::pause();
    });
    receiver.start();
    wait_for(f->state, 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(5 >> attempt));
    receiver.kill();
    receiver.join();
    EXPECT_EQ(receiver.exitcode(), -SIGKILL);
    if (f->state.load() != 1) continue;  // it had returned: try again
    killed_inside = true;
    // Not taken: the next recv() has it, whole.
    EXPECT_TRUE(b.poll());
    EXPECT_EQ(b.recv_bytes(), message);
  }
  EXPECT_TRUE(killed_inside) << "never caught the receiver inside recv()";
}

TEST(ChannelPipePeers, AReceiverKilledWhileBlockedLosesNoMessage) {
  auto [a, b] = mp::pipe<int>();
  struct flags {
    std::atomic<int> waiting{0};
  };
  mp::testing::shared<flags> f;
  mp::process receiver([b, &f]() mutable {
    f->waiting.store(1);
    (void)b.recv();
    mp::exit(3);
  });
  receiver.start();
  wait_for(f->waiting, 1);
  std::this_thread::sleep_for(50ms);  // into recv()'s sleep
  receiver.kill();
  receiver.join();
  EXPECT_EQ(receiver.exitcode(), -SIGKILL);
  // The parent holds b too; a new receiver gets what is sent.
  mp::process second([b]() mutable { mp::exit(b.recv()); });
  second.start();
  a.send(9);
  second.join();
  EXPECT_EQ(second.exitcode(), 9);
}

TEST(ChannelPipePeers, ASenderBlockedOnAFullPipeSeesTheReceiverDie) {
  auto [a, b] = mp::pipe(mp::pipe_options{.max_bytes = 4096});
  mp::testing::pipe_pair release;
  mp::process receiver([b, &release]() mutable {
    release.close_write();
    (void)b.poll();  // uses only its end
    mp::testing::block_until_released(release.read_end());
  });
  receiver.start();
  release.close_read();
  mp::testing::kill_on_exit guard{receiver};
  const std::string chunk(1000, 'x');
  for (int i = 0; i < 4; ++i) a.send_bytes(chunk);  // the pipe is now full
  std::thread killer([&] {
    std::this_thread::sleep_for(100ms);
    receiver.kill();
  });
  stopwatch clock;
  EXPECT_THROW(a.send_bytes(chunk), mp::broken_pipe_error);
  EXPECT_GE(clock.elapsed(), 100ms);
  EXPECT_LT(clock.elapsed(), late_bound(200ms));
  killer.join();
  receiver.join();
}

TEST(ChannelPipePeers, ASignalNeverShortensAWaitOrTearsAMessage) {
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
  EXPECT_FALSE(b.poll(300ms));
  EXPECT_GE(clock.elapsed(), 300ms);
  std::thread sender([&] {
    for (int i = 0; i < 20000; ++i) a.send(i);
  });
  for (int i = 0; i < 20000; ++i) ASSERT_EQ(b.recv(), i);
  sender.join();
  stop.store(true);
  signaller.join();
  ::sigaction(SIGUSR1, &old, nullptr);
}

}  // namespace
