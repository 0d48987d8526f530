// Pools by start method (API.md Part 5 speed rows, P1 and P3): tiny
// tasks per second through submit and map (chunksize 1, "c1") on one
// worker, and the time a worker replacement costs (a task kills its
// worker; until the next task's result is back), fork beside spawn and
// forkserver, with one start+join of a forked process (the bar a
// forkserver replacement is held to) beside them. Replacements are timed
// twice: spaced (20 ms apart, so that a spawn or forkserver pool's worker
// started ahead is ready, as it is when crashes are not back to back) and
// back to back (each crash right after the last replacement: the worst
// case, in which the next worker is still starting).
// Numbers only; never a test threshold.
//
// Last, the replacements again from a parent holding 200 MB with 4
// threads running.
//
//   multiproc_start_pool_bench [replacements]     default 50
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>
#include <vector>

#include "busy_parent.hpp"

namespace mp = multiproc;
using clock_type = std::chrono::steady_clock;

namespace {

int tiny(int x) { return x + 1; }
int crash() {
  ::raise(SIGKILL);
  return 0;
}

double seconds_since(clock_type::time_point begin) {
  return std::chrono::duration<double>(clock_type::now() - begin).count();
}

mp::pool_options one_worker(mp::start_method method) {
  mp::pool_options options;
  options.processes = 1;
  options.start_method = method;
  return options;
}

void tasks_per_second(mp::start_method method) {
  mp::pool p(one_worker(method));
  p.submit(tiny, 0).get();  // the worker is up
  constexpr int kTasks = 50000;
  std::vector<mp::future<int>> futures;
  futures.reserve(kTasks);
  auto begin = clock_type::now();
  for (int i = 0; i < kTasks; ++i) futures.push_back(p.submit(tiny, i));
  for (auto& f : futures) f.get();
  const double submit_rate = kTasks / seconds_since(begin);
  std::vector<int> items(kTasks);
  for (std::size_t i = 0; i < items.size(); ++i) items[i] = static_cast<int>(i);
  begin = clock_type::now();
  (void)p.map(tiny, items, mp::map_options{.chunksize = 1});
  const double map_rate =
      static_cast<double>(items.size()) / seconds_since(begin);
  const std::string name(mp::to_string(method));
  std::printf("%-10s pool submit     %10.0f tasks/s\n", name.c_str(),
              submit_rate);
  std::printf("%-10s pool map c1     %10.0f items/s\n", name.c_str(), map_rate);
}

// Median, p10 and p90 of `samples` (microseconds), as one row.
void print_quantiles(const char* method, const char* what,
                     std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&samples](double q) {
    return samples[static_cast<std::size_t>(
        q * static_cast<double>(samples.size() - 1))];
  };
  std::printf("%-10s %-24s median %7.0f us  p10 %7.0f  p90 %7.0f\n", method,
              what, at(0.5), at(0.1), at(0.9));
}

void replacement(mp::start_method method, int runs, bool spaced) {
  mp::pool p(one_worker(method));
  p.submit(tiny, 0).get();
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    if (spaced) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const auto begin = clock_type::now();
    try {
      p.submit(crash).get();
    } catch (const mp::process_died&) {
    }
    p.submit(tiny, i).get();  // on the replacement
    samples.push_back(seconds_since(begin) * 1e6);
  }
  print_quantiles(
      std::string(mp::to_string(method)).c_str(),
      spaced ? "pool worker replacement" : "replacement back to back",
      std::move(samples));
}

void fork_start_join(int runs) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    const auto begin = clock_type::now();
    mp::process child(
        mp::process_options{.start_method = mp::start_method::fork}, [] {});
    child.start();
    child.join();
    samples.push_back(seconds_since(begin) * 1e6);
  }
  print_quantiles("fork", "process start+join", std::move(samples));
}

}  // namespace

int main(int argc, char** argv) {
  mp::detail::serve_if_started_by_exec();  // the guard, without fixing a method
  const int runs = argc > 1 ? std::atoi(argv[1]) : 50;
  constexpr mp::start_method kMethods[] = {mp::start_method::fork,
                                           mp::start_method::spawn,
                                           mp::start_method::forkserver};
  for (mp::start_method method : kMethods) tasks_per_second(method);
  for (mp::start_method method : kMethods) {
    replacement(method, runs, /*spaced=*/true);
    replacement(method, runs, /*spaced=*/false);
  }
  fork_start_join(runs);

  // API.md's row holds the forkserver replacement to its bar "also with a
  // 200 MB 4-thread parent": the same loops from such a parent (200 MB
  // touched, 4 threads spinning on the 2 cores), fork's beside it.
  const start_bench::busy_parent busy;
  std::printf("-- from a 200 MB parent with 4 threads spinning\n");
  const int big_runs = runs / 2 > 10 ? runs / 2 : 10;
  replacement(mp::start_method::forkserver, big_runs, /*spaced=*/true);
  replacement(mp::start_method::fork, big_runs, /*spaced=*/true);
  fork_start_join(big_runs);
  return busy.intact() ? 0 : 1;
}
