// Figures for issue 15: what limits and usage cost on start+join.
//
//   plain:   process start()+join(), no limits (usage is captured at every
//            reap regardless: the raw waitid fills it in the same call);
//   limited: the same with five caps (data, CPU soft+hard, open files, file
//            size; core dumps off) and usage() read after the join.
//
// Target: limited at most 1.05x plain. Medians of interleaved rounds, so
// that drift in the machine affects both alike.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <multiproc/multiproc.hpp>
#include <vector>

namespace mp = multiproc;
using clock_type = std::chrono::steady_clock;

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// CPU seconds of this process and its reaped children so far: less
// sensitive than wall time to the other load of a shared machine.
double cpu_seconds() {
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage used{};
    ::getrusage(who, &used);
    total +=
        static_cast<double>(used.ru_utime.tv_sec + used.ru_stime.tv_sec) +
        static_cast<double>(used.ru_utime.tv_usec + used.ru_stime.tv_usec) *
            1e-6;
  }
  return total;
}

struct cost {
  double wall;
  double cpu;
};

template <class F>
cost seconds_per(int iterations, F&& once) {
  const auto start = clock_type::now();
  const double cpu_start = cpu_seconds();
  for (int i = 0; i < iterations; ++i) once();
  const double wall =
      std::chrono::duration<double>(clock_type::now() - start).count();
  return {wall / iterations, (cpu_seconds() - cpu_start) / iterations};
}

volatile std::uint64_t g_sink = 0;

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 300;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 9;

  // Which caps (a bit each, default all): 1 data, 2 CPU, 4 open files,
  // 8 file size, 16 keep core dumps (so that RLIMIT_CORE is left alone).
  const int which = argc > 3 ? std::atoi(argv[3]) : 15;
  mp::limits caps;
  if (which & 1) caps.data = std::uint64_t{4} << 30;
  if (which & 2) caps.cpu_time = std::chrono::seconds(60);
  if (which & 4) caps.open_files = 1024;
  if (which & 8) caps.file_size = std::uint64_t{1} << 30;
  caps.core_dumps = (which & 16) != 0;

  auto run_plain = [] {
    mp::process p([] {});
    p.start();
    p.join();
  };
  auto run_limited = [&caps] {
    mp::process p({.limits = caps}, [] {});
    p.start();
    p.join();
    g_sink = g_sink + p.usage()->minor_faults;
  };
  std::vector<double> plain, limited, plain_cpu, limited_cpu;
  auto record = [](cost c, std::vector<double>& wall,
                   std::vector<double>& cpu) {
    wall.push_back(c.wall);
    cpu.push_back(c.cpu);
  };
  for (int round = 0; round < rounds; ++round) {
    // Alternate which goes first, so neither gets the warmer machine.
    if (round % 2 == 0) {
      record(seconds_per(iterations, run_plain), plain, plain_cpu);
      record(seconds_per(iterations, run_limited), limited, limited_cpu);
    } else {
      record(seconds_per(iterations, run_limited), limited, limited_cpu);
      record(seconds_per(iterations, run_plain), plain, plain_cpu);
    }
  }
  const double p = median(plain) * 1e6;
  const double l = median(limited) * 1e6;
  const double pc = median(plain_cpu) * 1e6;
  const double lc = median(limited_cpu) * 1e6;
  std::printf(
      "per start+join (medians)      wall us   CPU us (parent+child)\n");
  std::printf("no limits                     %7.1f   %7.1f\n", p, pc);
  std::printf("limits + usage()              %7.1f   %7.1f\n", l, lc);
  std::printf("ratio (target <= 1.05x)       %7.3fx  %7.3fx\n", l / p, lc / pc);
}
