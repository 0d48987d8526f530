// mpi::pool beside the local mp::pool, measured the way
// bench/python/mpi4py_futures_bench.py measures mpi4py.futures (same
// counts, same tiny task), in one mpiexec launch: bench/mpi_bench.sh runs
// both. Rank 0 prints one line per figure.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <multiproc/mpi.hpp>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace mp = multiproc;
using clock_type = std::chrono::steady_clock;

namespace {

int add(int a, int b) { return a + b; }

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

void measure(const char* name, mp::pool& workers) {
  for (int i = 0; i < 200; ++i) workers.submit(&add, 1, 2).get();
  std::vector<double> latency;
  for (int i = 0; i < 2000; ++i) {
    const auto start = clock_type::now();
    workers.submit(&add, 1, 2).get();
    latency.push_back(seconds_since(start) * 1e6);
  }
  std::sort(latency.begin(), latency.end());
  std::printf("%s: submit+get latency: median %.0f us, p99 %.0f us\n", name,
              latency[latency.size() / 2], latency[latency.size() * 99 / 100]);

  constexpr int kTasks = 20000;
  auto start = clock_type::now();
  std::vector<mp::future<int>> futures;
  futures.reserve(kTasks);
  for (int i = 0; i < kTasks; ++i)
    futures.push_back(workers.submit(&add, i, 1));
  for (int i = 0; i < kTasks; ++i) {
    if (futures[static_cast<std::size_t>(i)].get() != i + 1) std::abort();
  }
  std::printf("%s: submit %d then get: %.0f tasks/s\n", name, kTasks,
              kTasks / seconds_since(start));

  std::vector<int> inputs(kTasks);
  std::iota(inputs.begin(), inputs.end(), 0);
  start = clock_type::now();
  const auto out =
      workers.map([](int x) { return add(x, 1); }, inputs, {.chunksize = 1});
  if (out.back() != kTasks) std::abort();
  std::printf("%s: map chunksize=1: %.0f tasks/s\n", name,
              kTasks / seconds_since(start));
}

// 1 ms of CPU work.
int spin_1ms(int x) {
  const auto end = clock_type::now() + std::chrono::milliseconds(1);
  while (clock_type::now() < end) {
  }
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  mp::mpi::world world(argc, argv);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "idle") {
    // The agents' CPU while nothing happens: measure the whole job's CPU
    // time (e.g. /usr/bin/time mpiexec ...) against `idle0`.
    mp::mpi::pool workers(world, {.processes_per_agent = 1});
    workers.submit(&add, 1, 2).get();
    std::this_thread::sleep_for(std::chrono::seconds(3));
    return 0;
  }
  if (mode == "idle0") {
    mp::mpi::pool workers(world, {.processes_per_agent = 1});
    workers.submit(&add, 1, 2).get();
    return 0;
  }
  if (mode == "cpu") {
    mp::mpi::pool workers(world, {.processes_per_agent = 1});
    std::vector<int> inputs(2000);
    std::iota(inputs.begin(), inputs.end(), 0);
    const auto start = clock_type::now();
    const auto out = workers.map(&spin_1ms, inputs, {.chunksize = 1});
    std::printf(
        "mpi::pool: 2000 x 1 ms tasks on %u workers: %.2f cores "
        "doing task work\n",
        workers.processes(), 2.0 / seconds_since(start));
    return 0;
  }
  {
    mp::mpi::pool workers(world, {.processes_per_agent = 1});
    std::printf("mpi::pool, %d ranks, %u workers\n", world.size(),
                workers.processes());
    measure("mpi::pool", workers);
  }
  mp::pool local({.processes = world.agents() != 0 ? world.agents() : 1});
  measure("mp::pool (local)", local);
}
