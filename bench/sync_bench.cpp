// Part 4a speed rows (API.md "Speed targets"), each beside the native floor
// measured in the same run (bench/ipc_floor.hpp): lock acquire+release
// uncontended, locked value<int> increments in one process and with two
// contending, and the lock handoff (two locks as binary semaphores) with
// the child on the parent's CPU ("same") and on the other one ("split").
// Python 3.11's rows come from bench/python/sync_cases.py; the three are
// put side by side by bench/ipc_compare.py (bench/run.sh --only ipc).
//
//   build-bench/bench/multiproc_sync_bench [--quick]
#include <multiproc/multiproc.hpp>
#include <mutex>
#include <string>

#include "ipc_floor.hpp"

namespace mp = multiproc;
using ipc_bench::clock_type;
using ipc_bench::seconds_since;

namespace {

double uncontended_lock(long n) {
  mp::lock l;
  const auto start = clock_type::now();
  for (long i = 0; i < n; ++i) {
    l.lock();
    l.unlock();
  }
  return static_cast<double>(n) / seconds_since(start);
}

double value_increment_one_process(long n) {
  mp::value<int> v;
  const auto start = clock_type::now();
  for (long i = 0; i < n; ++i) {
    std::lock_guard g(v);
    ++v.get_obj();
  }
  return static_cast<double>(n) / seconds_since(start);
}

double value_increment_two_processes(long n) {
  mp::value<int> v;
  auto work = [v, n](int cpu) mutable {
    ipc_bench::pin(cpu);
    for (long i = 0; i < n; ++i) {
      std::lock_guard g(v);
      ++v.get_obj();
    }
  };
  mp::process a([&] { work(0); });
  mp::process b([&] { work(1); });
  const auto start = clock_type::now();
  a.start();
  b.start();
  a.join();
  b.join();
  return static_cast<double>(2 * n) / seconds_since(start);
}

double handoff(long rounds, int child_cpu) {
  mp::lock ping;
  mp::lock pong;
  ping.lock();
  pong.lock();
  mp::process child([&] {
    ipc_bench::pin(child_cpu);
    for (long i = 0; i < rounds; ++i) {
      ping.lock();
      pong.unlock();
    }
  });
  ipc_bench::pin(0);
  child.start();
  const auto start = clock_type::now();
  for (long i = 0; i < rounds; ++i) {
    ping.unlock();
    pong.lock();
  }
  const double rate = static_cast<double>(rounds) / seconds_since(start);
  child.join();
  ipc_bench::unpin();
  return rate;
}

}  // namespace

int main(int argc, char** argv) {
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const int runs = quick ? 3 : 7;
  const long scale = quick ? 10 : 1;
  using ipc_bench::repeat;
  using ipc_bench::report;
  report("lock acquire+release", "pairs/s",
         repeat(runs, [&] { return uncontended_lock(10'000'000 / scale); }));
  report("robust mutex pairs (floor)", "pairs/s", repeat(runs, [&] {
           return ipc_bench::robust_mutex_pairs(10'000'000 / scale);
         }));
  report("value<int> locked ++", "ops/s", repeat(runs, [&] {
           return value_increment_one_process(10'000'000 / scale);
         }));
  report("value<int> locked ++, 2 procs", "ops/s", repeat(runs, [&] {
           return value_increment_two_processes(2'000'000 / scale);
         }));
  report("robust mutex 2 procs (floor)", "ops/s", repeat(runs, [&] {
           return ipc_bench::robust_mutex_two_processes(2'000'000 / scale);
         }));
  for (const int child_cpu : {1, 0}) {
    const bool split = child_cpu == 1;
    report(split ? "lock handoff split" : "lock handoff same", "rt/s",
           repeat(runs, [&] { return handoff(20'000 / scale, child_cpu); }));
    report(split ? "futex ping-pong split (floor)"
                 : "futex ping-pong same (floor)",
           "rt/s", repeat(runs, [&] {
             return ipc_bench::futex_ping_pong(static_cast<int>(40'000 / scale),
                                               child_cpu);
           }));
  }
  return 0;
}
