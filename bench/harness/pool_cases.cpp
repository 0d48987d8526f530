// multiproc::pool through its public API, doing what the CPython pool cases
// in bench/python/pool_cases.py do (same task counts, same worker count).
//
//   pool_tiny/*      tiny-task throughput, f(x) = x: the pool is created and
//                    warmed first, every result is collected; one sample is
//                    kPoolTinyTasks tasks, reported as tasks per second.
//   pool_cpu/*       16 tasks of ~80 ms of integer arithmetic: serial in
//                    this process against map on 2 workers, interleaved;
//                    one sample is one serial and one parallel run.
//   pool_replace/*   the cost of replacing a crashed worker: on a 1-worker
//                    pool, (a task that SIGKILLs its worker, then a trivial
//                    task) against (a trivial task, then a trivial task);
//                    and, beside it, one start+join of a multiproc::process.
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "common.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/pool.hpp"
#include "multiproc/process.hpp"

namespace bench {
namespace {

namespace mp = multiproc;

long identity(long x) { return x; }

std::vector<long> tiny_inputs() {
  std::vector<long> inputs(kPoolTinyTasks);
  std::iota(inputs.begin(), inputs.end(), 0L);
  return inputs;
}

void check_sum(long sum) {
  const long n = static_cast<long>(kPoolTinyTasks);
  if (sum != n * (n - 1) / 2) throw std::runtime_error("wrong results");
}

// Every worker forked and past its first tasks before anything is timed.
void warm(mp::pool& workers) {
  std::vector<long> inputs(100);
  std::iota(inputs.begin(), inputs.end(), 0L);
  (void)workers.map(identity, inputs, {.chunksize = 1});
}

// One sample per iteration: kPoolTinyTasks through `body`, as tasks/s.
template <class Body>
void tiny(int iterations, results& out, Body body) {
  mp::pool workers(mp::pool_options{.processes = kPoolWorkers});
  warm(workers);
  const std::vector<long> inputs = tiny_inputs();
  for (int i = 0; i < iterations; ++i) {
    auto t0 = steady::now();
    long sum = body(workers, inputs);
    double seconds = micros_since(t0) / 1e6;
    check_sum(sum);
    out.add("tasks_per_s", static_cast<double>(kPoolTinyTasks) / seconds);
  }
}

void tiny_submit(int iterations, results& out) {
  tiny(iterations, out, [](mp::pool& workers, const std::vector<long>& in) {
    std::vector<mp::future<long>> futures;
    futures.reserve(in.size());
    for (long x : in) futures.push_back(workers.submit(identity, x));
    long sum = 0;
    for (auto& f : futures) sum += f.get();
    return sum;
  });
}

void tiny_map_chunk1(int iterations, results& out) {
  tiny(iterations, out, [](mp::pool& workers, const std::vector<long>& in) {
    auto r = workers.map(identity, in, {.chunksize = 1});
    return std::accumulate(r.begin(), r.end(), 0L);
  });
}

void tiny_map_default(int iterations, results& out) {
  tiny(iterations, out, [](mp::pool& workers, const std::vector<long>& in) {
    auto r = workers.map(identity, in);
    return std::accumulate(r.begin(), r.end(), 0L);
  });
}

void tiny_imap_chunk1(int iterations, results& out) {
  tiny(iterations, out, [](mp::pool& workers, const std::vector<long>& in) {
    long sum = 0;
    for (long r : workers.imap(identity, in, {.chunksize = 1})) sum += r;
    return sum;
  });
}

void tiny_imap_unordered_chunk1(int iterations, results& out) {
  tiny(iterations, out, [](mp::pool& workers, const std::vector<long>& in) {
    long sum = 0;
    for (long r : workers.imap_unordered(identity, in, {.chunksize = 1}))
      sum += r;
    return sum;
  });
}

// --- CPU-bound speed-up ---------------------------------------------------

// xorshift64 steps folded into a sum: a serial dependency chain the
// compiler cannot shorten or evaluate ahead of time (n arrives at run time).
std::uint64_t burn(std::uint64_t n) {
  std::uint64_t x = n | 1U;
  std::uint64_t sum = 0;
  for (std::uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    sum += x ^ i;
  }
  return sum;
}

// Where timed arithmetic stores its result before the clock is read: a
// pure computation may otherwise be moved past the (opaque) clock call, or
// dropped.
volatile std::uint64_t g_sink = 0;

// Steps of burn() that take about kPoolCpuTaskMs here, measured once.
std::uint64_t calibrated_steps() {
  static const std::uint64_t steps = [] {
    constexpr std::uint64_t probe = 4'000'000;
    std::vector<double> per_step;
    for (int i = 0; i < 5; ++i) {
      auto t0 = steady::now();
      g_sink = burn(probe + static_cast<std::uint64_t>(i));
      per_step.push_back(micros_since(t0) / static_cast<double>(probe));
    }
    // The fastest probe is the least disturbed by other load.
    double fastest = *std::min_element(per_step.begin(), per_step.end());
    return static_cast<std::uint64_t>(kPoolCpuTaskMs * 1e3 / fastest);
  }();
  return steps;
}

void cpu_speedup(int iterations, results& out) {
  mp::pool workers(mp::pool_options{.processes = kPoolWorkers});
  warm(workers);
  const std::uint64_t steps = calibrated_steps();
  // Every task different, so no two results could be shared.
  std::vector<std::uint64_t> work(kPoolCpuTasks);
  for (std::size_t k = 0; k < work.size(); ++k) work[k] = steps + k;
  std::uint64_t sink = 0;
  for (int i = 0; i < iterations; ++i) {
    double serial_ms = 0, parallel_ms = 0;
    auto run_serial = [&] {
      auto t0 = steady::now();
      std::uint64_t sum = 0;
      for (std::uint64_t n : work) sum += burn(n);
      g_sink = sum;
      serial_ms = micros_since(t0) / 1e3;
      sink += sum;
    };
    auto run_parallel = [&] {
      auto t0 = steady::now();
      auto r = workers.map(burn, work, {.chunksize = 1});
      parallel_ms = micros_since(t0) / 1e3;
      sink += std::accumulate(r.begin(), r.end(), std::uint64_t{0});
    };
    // Alternate which goes first, so drifting load hits both alike.
    if (i % 2 == 0) {
      run_serial();
      run_parallel();
    } else {
      run_parallel();
      run_serial();
    }
    out.add("serial_ms", serial_ms);
    out.add("parallel_ms", parallel_ms);
    out.add("speedup_x", serial_ms / parallel_ms);
    out.add("task_ms", serial_ms / static_cast<double>(work.size()));
  }
  // Printed, so the arithmetic cannot be dropped as unused.
  std::fprintf(stderr, "pool_cpu checksum %llu\n",
               static_cast<unsigned long long>(sink));
}

// --- replacing a crashed worker -------------------------------------------

long kill_own_worker(long) {
  ::raise(SIGKILL);
  return 0;
}

void replace_worker(int iterations, results& out) {
  mp::pool workers(mp::pool_options{.processes = 1});
  warm(workers);
  auto pair = [&](bool crash) {
    auto t0 = steady::now();
    auto first = workers.submit(crash ? kill_own_worker : identity, 1L);
    auto second = workers.submit(identity, 2L);
    bool died = false;
    try {
      (void)first.get();
    } catch (const mp::process_died&) {
      died = true;
    }
    if (second.get() != 2 || died != crash)
      throw std::runtime_error("unexpected pool outcome");
    return micros_since(t0);
  };
  for (int i = 0; i < iterations; ++i) {
    double crashed = 0, plain = 0;
    if (i % 2 == 0) {
      crashed = pair(true);
      plain = pair(false);
    } else {
      plain = pair(false);
      crashed = pair(true);
    }
    out.add("crash_pair_us", crashed);
    out.add("plain_pair_us", plain);
    out.add("replace_us", crashed - plain);
  }
}

void process_start_join(int iterations, results& out) {
  for (int i = 0; i < iterations; ++i) {
    auto t0 = steady::now();
    mp::process child([] {});
    child.start();
    child.join();
    out.add("replace_us", micros_since(t0));
  }
}

}  // namespace

void add_pool_cases(std::vector<case_def>& cases) {
  cases.push_back({"pool_tiny/multiproc_submit", tiny_submit});
  cases.push_back({"pool_tiny/multiproc_map_c1", tiny_map_chunk1});
  cases.push_back({"pool_tiny/multiproc_imap_c1", tiny_imap_chunk1});
  cases.push_back(
      {"pool_tiny/multiproc_imap_unordered_c1", tiny_imap_unordered_chunk1});
  cases.push_back({"pool_tiny/multiproc_map_default", tiny_map_default});
  cases.push_back({"pool_cpu/multiproc_map_c1", cpu_speedup});
  cases.push_back({"pool_replace/multiproc_pool", replace_worker});
  cases.push_back(
      {"pool_replace/multiproc_process_startjoin", process_start_join});
}

}  // namespace bench
