// mp::pipe and mp::connection in one process and across a fork: messages
// whole and in order, typed and bytes, and Python's checks and messages
// (spec/ipc.md §5 cases 30 and 31).
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <multiproc/multiproc.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;
using mp::testing::late_bound;
using mp::testing::stopwatch;
using mp::testing::usage_message;

namespace {

std::vector<std::byte> bytes_of(std::string_view text) {
  const auto b = std::as_bytes(std::span<const char>(text));
  return {b.begin(), b.end()};
}

std::string text_of(const std::vector<std::byte>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

TEST(ChannelPipe, DuplexCarriesTypedMessagesBothWaysInOrder) {
  auto [a, b] = mp::pipe<std::int64_t>();
  EXPECT_TRUE(a.readable());
  EXPECT_TRUE(a.writable());
  for (std::int64_t i = 0; i < 100; ++i) a.send(i);
  for (std::int64_t i = 0; i < 50; ++i) b.send(-i);
  for (std::int64_t i = 0; i < 100; ++i) EXPECT_EQ(b.recv(), i);
  for (std::int64_t i = 0; i < 50; ++i) EXPECT_EQ(a.recv(), -i);
  EXPECT_FALSE(a.poll());
  EXPECT_FALSE(b.poll());
}

TEST(ChannelPipe, EncodedTypesRoundTripAndLaterMutationIsInvisible) {
  auto [a, b] = mp::pipe<std::vector<std::string>>();
  std::vector<std::string> value{"one", "two"};
  a.send(value);
  value.push_back("three");  // after send(): not part of the message
  EXPECT_EQ(b.recv(), (std::vector<std::string>{"one", "two"}));
}

TEST(ChannelPipe, SimplexIsReaderThenWriter) {
  auto [reader, writer] = mp::pipe<int>(false);
  EXPECT_TRUE(reader.readable());
  EXPECT_FALSE(reader.writable());
  EXPECT_FALSE(writer.readable());
  EXPECT_TRUE(writer.writable());
  writer.send(7);
  EXPECT_EQ(reader.recv(), 7);
  EXPECT_EQ(usage_message([&] { reader.send(1); }), "connection is read-only");
  EXPECT_EQ(usage_message([&] { (void)writer.recv(); }),
            "connection is write-only");
  EXPECT_EQ(usage_message([&] { (void)writer.poll(); }),
            "connection is write-only");
}

TEST(ChannelPipe, SimplexBytesChecksTheDirectionOfEveryCall) {
  auto [reader, writer] = mp::pipe(false);
  EXPECT_EQ(usage_message([&] { reader.send_bytes("x"); }),
            "connection is read-only");
  EXPECT_EQ(usage_message([&] { (void)writer.recv_bytes(); }),
            "connection is write-only");
  std::byte buf[4];
  EXPECT_EQ(usage_message([&] { (void)writer.recv_bytes_into(buf); }),
            "connection is write-only");
}

TEST(ChannelPipe, SendBytesChecksOffsetAndSizeWithPythonsMessages) {
  auto [a, b] = mp::pipe();
  EXPECT_EQ(usage_message([&] { a.send_bytes("abc", -1); }),
            "offset is negative");
  EXPECT_EQ(usage_message([&] { a.send_bytes("abc", 4); }),
            "buffer length < offset");
  EXPECT_EQ(usage_message([&] { a.send_bytes("abc", 1, -1); }),
            "size is negative");
  EXPECT_EQ(usage_message([&] { a.send_bytes("abc", 1, 3); }),
            "buffer length < offset + size");
  EXPECT_FALSE(b.poll());  // nothing was sent
  a.send_bytes("abcdef", 2, 3);
  a.send_bytes("abcdef", 3);
  a.send_bytes("abc", 3);  // offset == length: an empty message
  EXPECT_EQ(text_of(b.recv_bytes()), "cde");
  EXPECT_EQ(text_of(b.recv_bytes()), "def");
  EXPECT_EQ(b.recv_bytes().size(), 0u);
  const auto span_message = bytes_of("xyz");
  a.send_bytes(std::span<const std::byte>(span_message), 1);
  EXPECT_EQ(text_of(b.recv_bytes()), "yz");
}

TEST(ChannelPipe, RecvBytesWithTooSmallAMaxlengthLeavesTheMessage) {
  auto [a, b] = mp::pipe();
  EXPECT_EQ(usage_message([&] { (void)b.recv_bytes(-1); }),
            "negative maxlength");
  a.send_bytes(std::string(100, 'x'));
  try {
    (void)b.recv_bytes(10);
    FAIL() << "no error";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::message_size);
    EXPECT_EQ(std::string(e.what()).rfind("bad message length", 0), 0u)
        << e.what();
  }
  // Unlike Python, the end stays readable and the message is still there.
  EXPECT_TRUE(b.readable());
  EXPECT_TRUE(b.poll());
  EXPECT_EQ(text_of(b.recv_bytes(100)), std::string(100, 'x'));
}

TEST(ChannelPipe, RecvBytesIntoFillsAtTheOffsetOrCarriesTheMessage) {
  auto [a, b] = mp::pipe();
  std::vector<std::byte> buf(8, std::byte{'.'});
  EXPECT_EQ(usage_message([&] { (void)b.recv_bytes_into(buf, -1); }),
            "negative offset");
  EXPECT_EQ(usage_message([&] { (void)b.recv_bytes_into(buf, 9); }),
            "offset too large");
  a.send_bytes("abc");
  EXPECT_EQ(b.recv_bytes_into(buf, 2), 3u);
  EXPECT_EQ(text_of(buf), "..abc...");
  a.send_bytes("0123456789");
  try {
    (void)b.recv_bytes_into(buf, 0);
    FAIL() << "no buffer_too_short";
  } catch (const mp::buffer_too_short& e) {
    EXPECT_EQ(text_of(e.message()), "0123456789");
    EXPECT_STREQ(e.what(), "buffer too short for a message of 10 bytes");
  }
  EXPECT_FALSE(b.poll());  // consumed, as in Python
  a.send_bytes("last");
  EXPECT_EQ(b.recv_bytes_into(buf, 4), 4u);
  EXPECT_EQ(text_of(buf), "..ablast");
}

TEST(ChannelPipe, EveryCallButCloseAfterCloseSaysHandleIsClosed) {
  auto [a, b] = mp::pipe();
  a.close();
  a.close();  // idempotent
  EXPECT_TRUE(a.closed());
  EXPECT_FALSE(b.closed());
  EXPECT_EQ(usage_message([&] { a.send_bytes("x"); }), "handle is closed");
  EXPECT_EQ(usage_message([&] { (void)a.recv_bytes(); }), "handle is closed");
  std::byte buf[4];
  EXPECT_EQ(usage_message([&] { (void)a.recv_bytes_into(buf); }),
            "handle is closed");
  EXPECT_EQ(usage_message([&] { (void)a.poll(); }), "handle is closed");
  EXPECT_EQ(usage_message([&] { (void)a.poll(1s); }), "handle is closed");
  EXPECT_EQ(usage_message([&] { (void)a.readable(); }), "handle is closed");
  EXPECT_EQ(usage_message([&] { (void)a.writable(); }), "handle is closed");
  // Copies are the same end: closed too.
  auto copy = a;
  EXPECT_TRUE(copy.closed());
  EXPECT_TRUE(copy == a);
  EXPECT_FALSE(copy == b);
  // The closed end was the only other holder of its side: EOF, EPIPE.
  EXPECT_THROW((void)b.recv_bytes(), mp::eof_error);
  EXPECT_THROW(b.send_bytes("x"), mp::broken_pipe_error);
}

TEST(ChannelPipe, SendAndRecvAfterThePeerClosedSayEofAndBrokenPipe) {
  auto [a, b] = mp::pipe<int>();
  a.send(1);
  a.close();
  // What was sent before the close is still got first.
  EXPECT_TRUE(b.poll());
  EXPECT_EQ(b.recv(), 1);
  EXPECT_TRUE(b.poll());  // end-of-file: recv() would not block
  try {
    (void)b.recv();
    FAIL() << "no eof_error";
  } catch (const mp::eof_error& e) {
    EXPECT_STREQ(e.what(), "connection closed by the other end");
  }
  try {
    b.send(2);
    FAIL() << "no broken_pipe_error";
  } catch (const mp::broken_pipe_error& e) {
    EXPECT_EQ(e.code(), std::errc::broken_pipe);
    EXPECT_STREQ(e.what(), "Broken pipe");
  }
}

TEST(ChannelPipe, PollTimesOutWithNothingThenSeesAMessage) {
  auto [a, b] = mp::pipe<int>();
  stopwatch clock;
  EXPECT_FALSE(b.poll(200ms));
  EXPECT_GE(clock.elapsed(), 200ms);
  EXPECT_LT(clock.elapsed(), late_bound(200ms));
  EXPECT_FALSE(b.poll(0s));
  EXPECT_FALSE(b.poll(-1s));
  std::thread sender([&] {
    std::this_thread::sleep_for(100ms);
    a.send(5);
  });
  stopwatch woken;
  EXPECT_TRUE(b.poll(std::chrono::hours(1)));
  EXPECT_LT(woken.elapsed(), late_bound(100ms));
  sender.join();
  EXPECT_TRUE(b.poll());
  EXPECT_EQ(b.recv(), 5);
}

TEST(ChannelPipe, AMessageAboveMaxBytesIsALengthError) {
  auto [a, b] = mp::pipe(mp::pipe_options{.max_bytes = 1000});
  try {
    a.send_bytes(std::string(1001, 'x'));
    FAIL() << "no length_error";
  } catch (const std::length_error& e) {
    EXPECT_STREQ(e.what(),
                 "item of 1001 bytes is larger than max_bytes (1000)");
  }
  EXPECT_FALSE(b.poll());
  a.send_bytes(std::string(1000, 'y'));
  EXPECT_EQ(b.recv_bytes().size(), 1000u);
}

TEST(ChannelPipe, A64MiBMessageRoundTripsIntact) {
  constexpr std::size_t kSize = std::size_t{64} << 20;
  std::vector<std::byte> message(kSize);
  for (std::size_t i = 0; i < kSize; ++i)
    message[i] = static_cast<std::byte>(i * 31 + (i >> 12));
  auto [a, b] = mp::pipe();
  mp::process echo([a, b]() mutable {
    a.close();
    const auto got = b.recv_bytes();
    b.send_bytes(std::span<const std::byte>(got));
  });
  echo.start();
  b.close();
  a.send_bytes(std::span<const std::byte>(message));
  EXPECT_EQ(a.recv_bytes(), message);
  echo.join();
  EXPECT_EQ(echo.exitcode(), 0);
}

// A codec that fails to encode or decode some values.
struct picky {
  int value = 0;
};

}  // namespace

template <>
struct multiproc::codec<picky> {
  static void encode(encoder& out, const picky& p) {
    if (p.value < 0) throw std::invalid_argument("negative picky");
    out.write(p.value);
  }
  static picky decode(decoder& in) {
    picky p{in.read<int>()};
    if (p.value == 13) throw codec_error("unlucky picky");
    return p;
  }
};

namespace {

TEST(ChannelPipe, AFailedEncodeOrDecodeLeavesThePipeUsable) {
  auto [a, b] = mp::pipe<picky>();
  EXPECT_THROW(a.send(picky{-1}), std::invalid_argument);
  EXPECT_FALSE(b.poll());
  a.send(picky{13});
  a.send(picky{14});
  EXPECT_THROW((void)b.recv(), mp::codec_error);  // consumed
  EXPECT_EQ(b.recv().value, 14);
}

TEST(ChannelPipe, ThreadsSendingOnOneEndNeverInterleave) {
  auto [a, b] = mp::pipe();
  constexpr int kThreads = 4;
  constexpr int kEach = 2000;
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&a, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string m(static_cast<std::size_t>(100 + (i % 300)),
                            static_cast<char>('a' + t));
        a.send_bytes(m);
      }
    });
  }
  std::vector<int> next(static_cast<std::size_t>(kThreads), 0);
  for (int n = 0; n < kThreads * kEach; ++n) {
    const auto m = text_of(b.recv_bytes());
    ASSERT_FALSE(m.empty());
    const auto t = static_cast<std::size_t>(m[0] - 'a');
    ASSERT_LT(t, static_cast<std::size_t>(kThreads));
    ASSERT_EQ(
        m, std::string(static_cast<std::size_t>(100 + (next[t] % 300)), m[0]));
    ++next[t];
  }
  for (auto& s : senders) s.join();
}

int send_pid(mp::connection<int> end) {
  end.send(static_cast<int>(::getpid()));
  return 1;
}

TEST(ChannelPipe, AnEndOlderThanThePoolReachesATaskAsAnArgument) {
  auto [mine, theirs] = mp::pipe<int>();
  mp::pool workers({.processes = 1});
  EXPECT_EQ(workers.apply(send_pid, theirs), 1);
  EXPECT_GT(mine.recv(), 0);
  auto [young, young_peer] = mp::pipe<int>();
  EXPECT_EQ(usage_message([&] { (void)workers.submit(send_pid, young); }),
            "Connection objects should only be shared between processes "
            "through inheritance");
  EXPECT_FALSE(young_peer.poll());
}

TEST(ChannelPipe, ChildAndParentTalkBothWays) {
  auto [parent_end, child_end] = mp::pipe<std::string>();
  mp::process child([child_end]() mutable {
    child_end.send("hello from " + mp::current_process().name());
    child_end.send("echo: " + child_end.recv());
  });
  child.start();
  child_end.close();
  EXPECT_EQ(parent_end.recv(), "hello from " + child.name());
  parent_end.send("ping");
  EXPECT_EQ(parent_end.recv(), "echo: ping");
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
  // The child has ended and the parent closed its copy of the child's end.
  EXPECT_THROW((void)parent_end.recv(), mp::eof_error);
}

}  // namespace
