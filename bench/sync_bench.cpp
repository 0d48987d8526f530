// Part 4a speed rows (API.md "Speed targets"): lock acquire+release
// uncontended, locked value<int> increments in one process and two
// contending, and the lock handoff (two locks as binary semaphores) with
// both processes on one CPU ("same") and on two ("split"). Plain program:
// medians of 7 runs. Python's rows come from spec/ipc-experiments/
// e08_bench_py.py run on the same machine.
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <multiproc/multiproc.hpp>
#include <mutex>
#include <vector>

namespace mp = multiproc;
using steady = std::chrono::steady_clock;

namespace {

void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

void unpin() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  CPU_SET(1, &set);
  sched_setaffinity(0, sizeof set, &set);
}

// Median over 7 runs of `run`, which returns operations per second.
double median(const std::function<double()>& run) {
  std::vector<double> rates;
  for (int i = 0; i < 7; ++i) rates.push_back(run());
  std::sort(rates.begin(), rates.end());
  return rates[3];
}

double seconds_since(steady::time_point start) {
  return std::chrono::duration<double>(steady::now() - start).count();
}

double uncontended_lock() {
  mp::lock l;
  constexpr long n = 10'000'000;
  const auto start = steady::now();
  for (long i = 0; i < n; ++i) {
    l.lock();
    l.unlock();
  }
  return n / seconds_since(start);
}

double value_increment_one_process() {
  mp::value<int> v;
  constexpr long n = 10'000'000;
  const auto start = steady::now();
  for (long i = 0; i < n; ++i) {
    std::lock_guard g(v);
    ++v.get_obj();
  }
  return n / seconds_since(start);
}

double value_increment_two_processes() {
  mp::value<int> v;
  constexpr long n = 2'000'000;
  auto work = [v](int cpu) mutable {
    pin(cpu);
    for (long i = 0; i < n; ++i) {
      std::lock_guard g(v);
      ++v.get_obj();
    }
  };
  mp::process a([&] { work(0); });
  mp::process b([&] { work(1); });
  const auto start = steady::now();
  a.start();
  b.start();
  a.join();
  b.join();
  return 2 * n / seconds_since(start);
}

double handoff(bool same_cpu) {
  mp::lock ping;
  mp::lock pong;
  ping.lock();
  pong.lock();
  constexpr long rounds = 20'000;
  mp::process child([&] {
    pin(same_cpu ? 0 : 1);
    for (long i = 0; i < rounds; ++i) {
      ping.lock();
      pong.unlock();
    }
  });
  pin(0);
  child.start();
  const auto start = steady::now();
  for (long i = 0; i < rounds; ++i) {
    ping.unlock();
    pong.lock();
  }
  const double rate = rounds / seconds_since(start);
  child.join();
  unpin();
  return rate;
}

}  // namespace

int main() {
  std::printf("lock acquire+release, uncontended: %.1f M pairs/s\n",
              median(uncontended_lock) / 1e6);
  std::printf("value<int> locked increment, 1 process: %.1f M/s\n",
              median(value_increment_one_process) / 1e6);
  std::printf("value<int> locked increment, 2 processes (total): %.1f M/s\n",
              median(value_increment_two_processes) / 1e6);
  std::printf("lock handoff, split: %.0f round trips/s\n",
              median([] { return handoff(false); }));
  std::printf("lock handoff, same: %.0f round trips/s\n",
              median([] { return handoff(true); }));
}
