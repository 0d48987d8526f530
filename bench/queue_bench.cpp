// Queue and pipe throughput rows of API.md Part 4 (speed targets), beside
// the futex ping-pong floor (ipc_floor.hpp) measured in the same run. Prints
// one line per row:
//
//   row  median  unit  (p10 .. p90 of 7 runs)
//
// Placement "split": the parent on CPU 0, the child on CPU 1. Python 3.11's
// figures for the same rows come from bench/python/queue_cases.py.
//
//   build-bench/bench/multiproc_queue_bench [--quick]   (or bench/run.sh
//   --only ipc, which puts them beside Python and the floor)
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <multiproc/multiproc.hpp>
#include <string>
#include <vector>

#include "ipc_floor.hpp"

namespace mp = multiproc;
using ipc_bench::clock_type;
using ipc_bench::pin;
using ipc_bench::repeat;
using ipc_bench::report;
using ipc_bench::seconds_since;

namespace {

// queue<int64> one producer (CPU 1) to one consumer (CPU 0): items/s.
double int64_one_to_one(std::int64_t items) {
  mp::queue<std::int64_t> q(4096);
  mp::process producer([q, items]() mutable {
    pin(1);
    for (std::int64_t i = 0; i < items; ++i) q.put(i);
  });
  pin(0);
  const auto start = clock_type::now();
  producer.start();
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < items; ++i) sum += q.get();
  const double s = seconds_since(start);
  producer.join();
  if (sum != items * (items - 1) / 2) std::fprintf(stderr, "wrong sum\n");
  return static_cast<double>(items) / s;
}

// queue<std::vector<std::byte>> of 1 MiB items: MB/s.
double mib_items(int items) {
  constexpr std::size_t kSize = std::size_t{1} << 20;
  mp::queue<std::vector<std::byte>> q(64);
  mp::process producer([q, items]() mutable {
    pin(1);
    const std::vector<std::byte> item(kSize, std::byte{7});
    for (int i = 0; i < items; ++i) q.put(item);
  });
  pin(0);
  const auto start = clock_type::now();
  producer.start();
  std::size_t bytes = 0;
  for (int i = 0; i < items; ++i) bytes += q.get().size();
  const double s = seconds_since(start);
  producer.join();
  return static_cast<double>(bytes) / s / 1e6;
}

// Request queue + reply queue ping-pong: round trips/s.
double queue_ping_pong(int trips) {
  mp::queue<std::int64_t> request(1);
  mp::queue<std::int64_t> reply(1);
  mp::process server([request, reply, trips]() mutable {
    pin(1);
    for (int i = 0; i < trips; ++i) reply.put(request.get() + 1);
  });
  pin(0);
  server.start();
  const auto start = clock_type::now();
  std::int64_t v = 0;
  for (int i = 0; i < trips; ++i) {
    request.put(v);
    v = reply.get();
  }
  const double s = seconds_since(start);
  server.join();
  return static_cast<double>(trips) / s;
}

// 4 producers -> 4 consumers (children, on 2 CPUs): items/s in total.
double many_to_many(std::int64_t items_each) {
  mp::queue<std::int64_t> q(4096);
  std::vector<mp::process> children;
  for (int p = 0; p < 4; ++p) {
    children.emplace_back([q, items_each]() mutable {
      for (std::int64_t i = 0; i < items_each; ++i) q.put(i);
    });
  }
  for (int c = 0; c < 4; ++c) {
    children.emplace_back([q]() mutable {
      try {
        for (;;) (void)q.get();
      } catch (const mp::eof_error&) {
      }
    });
  }
  ipc_bench::unpin();
  const auto start = clock_type::now();
  for (auto& child : children) child.start();
  q.close();
  for (auto& child : children) child.join();
  return static_cast<double>(4 * items_each) / seconds_since(start);
}

// connection<int64> one way (pipe(false)), sender on CPU 1: msgs/s.
double connection_int64_one_way(std::int64_t messages) {
  auto [reader, writer] = mp::pipe<std::int64_t>(false);
  mp::process sender([writer, messages]() mutable {
    pin(1);
    for (std::int64_t i = 0; i < messages; ++i) writer.send(i);
  });
  pin(0);
  const auto start = clock_type::now();
  sender.start();
  writer.close();
  std::int64_t sum = 0;
  for (std::int64_t i = 0; i < messages; ++i) sum += reader.recv();
  const double s = seconds_since(start);
  sender.join();
  if (sum != messages * (messages - 1) / 2) std::fprintf(stderr, "wrong sum\n");
  return static_cast<double>(messages) / s;
}

// connection<> 1 MiB send_bytes one way: MB/s.
double connection_mib_one_way(int messages) {
  constexpr std::size_t kSize = std::size_t{1} << 20;
  auto [reader, writer] = mp::pipe(false);
  mp::process sender([writer, messages]() mutable {
    pin(1);
    const std::vector<std::byte> message(kSize, std::byte{7});
    for (int i = 0; i < messages; ++i) writer.send_bytes(message);
  });
  pin(0);
  const auto start = clock_type::now();
  sender.start();
  writer.close();
  std::vector<std::byte> buf(kSize);
  std::size_t bytes = 0;
  for (int i = 0; i < messages; ++i) bytes += reader.recv_bytes_into(buf);
  const double s = seconds_since(start);
  sender.join();
  return static_cast<double>(bytes) / s / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const int runs = quick ? 3 : 7;
  const int scale = quick ? 10 : 1;
  report("queue<int64> 1->1 split", "items/s",
         repeat(runs, [&] { return int64_one_to_one(4'000'000 / scale); }));
  report("queue<vector<byte>> 1 MiB split", "MB/s",
         repeat(runs, [&] { return mib_items(4000 / scale); }));
  report("queue ping-pong split", "rt/s",
         repeat(runs, [&] { return queue_ping_pong(40'000 / scale); }));
  report("futex ping-pong split (floor)", "rt/s", repeat(runs, [&] {
           return ipc_bench::futex_ping_pong(40'000 / scale, 1);
         }));
  report("queue<int64> 4->4 (2 CPUs)", "items/s",
         repeat(runs, [&] { return many_to_many(500'000 / scale); }));
  report("connection<int64> one way split", "msgs/s", repeat(runs, [&] {
           return connection_int64_one_way(4'000'000 / scale);
         }));
  report("connection<> 1 MiB send_bytes split", "MB/s",
         repeat(runs, [&] { return connection_mib_one_way(4000 / scale); }));
  return 0;
}
