// Start+join by start method (API.md Part 5 speed rows): fork beside
// forkserver and spawn, from a small parent and from one holding 200 MB
// touched with 4 threads running, and the first forkserver start+join of a
// fresh process (its server's exec included), and start+join with a
// 256 MiB argument beside one memcpy of it. One row per case: median,
// p10, p90 over N runs, in us. Numbers only; never a test threshold.
//
//   multiproc_start_bench [runs]     default 200
//   multiproc_start_bench --big      the 256 MiB argument rows only
//   multiproc_start_bench --first    (internal) one first forkserver start
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <multiproc/multiproc.hpp>
#include <string>
#include <vector>

#include "busy_parent.hpp"

namespace mp = multiproc;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t kBigArgument = std::size_t{256} << 20;

void empty_target() {}

double start_join_us(mp::start_method method) {
  mp::process_options options;
  options.start_method = method;
  mp::process child(options, empty_target);
  const auto begin = clock_type::now();
  child.start();
  child.join();
  return std::chrono::duration<double, std::micro>(clock_type::now() - begin)
      .count();
}

void report(const char* name, std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&samples](double q) {
    return samples[static_cast<std::size_t>(
        q * static_cast<double>(samples.size() - 1))];
  };
  std::printf("%-40s median %8.0f us  p10 %8.0f  p90 %8.0f\n", name, at(0.5),
              at(0.1), at(0.9));
}

void run_cases(const char* parent, int runs) {
  for (mp::start_method method :
       {mp::start_method::fork, mp::start_method::forkserver,
        mp::start_method::spawn}) {
    std::vector<double> samples;
    for (int i = 0; i < runs; ++i) samples.push_back(start_join_us(method));
    char name[64];
    std::snprintf(name, sizeof name, "%s, %s",
                  std::string(mp::to_string(method)).c_str(), parent);
    report(name, samples);
  }
}

// The first forkserver start+join of a process, its server's exec
// included: each sample is a fresh copy of this program (--first), which
// prints its one number.
void run_first_starts(int runs) {
  char self[4096] = {};
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return;
  const std::string command = std::string(self) + " --first";
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    FILE* out = ::popen(command.c_str(), "r");
    if (out == nullptr) return;
    double us = 0;
    if (std::fscanf(out, "%lf", &us) == 1) samples.push_back(us);
    ::pclose(out);
  }
  if (!samples.empty()) report("forkserver, first start (exec)", samples);
}

// The child gets the argument whole: the exit code says it did.
void check_argument(std::vector<std::byte> data) {
  const bool whole = data.size() == kBigArgument &&
                     data.front() == std::byte{7} &&
                     data.back() == std::byte{7};
  mp::exit(whole ? 0 : 1);
}

// A 256 MiB argument (API.md Part 5: <= 2x one memcpy of it): start+join
// under each method, and one memcpy of the same bytes.
void run_big_argument(int runs) {
  std::vector<std::byte> data(kBigArgument, std::byte{7});
  std::vector<std::byte> copy(kBigArgument);
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    const auto begin = clock_type::now();
    std::memcpy(copy.data(), data.data(), data.size());
    samples.push_back(
        std::chrono::duration<double, std::micro>(clock_type::now() - begin)
            .count());
  }
  report("memcpy of 256 MiB", samples);
  // Into fresh memory, as a child's copy of the argument must be: the
  // kernel supplies and zeroes every page (Part 2's result row compares
  // with this one too).
  samples.clear();
  for (int i = 0; i < runs; ++i) {
    const auto begin = clock_type::now();
    std::vector<std::byte> fresh(data.begin(), data.end());
    samples.push_back(
        std::chrono::duration<double, std::micro>(clock_type::now() - begin)
            .count());
    if (fresh.back() != data.back()) std::fprintf(stderr, "copy differs\n");
  }
  report("memcpy of 256 MiB, fresh memory", samples);
  for (mp::start_method method :
       {mp::start_method::fork, mp::start_method::forkserver,
        mp::start_method::spawn}) {
    samples.clear();
    for (int i = 0; i < runs; ++i) {
      mp::process_options options;
      options.start_method = method;
      mp::process child(options, check_argument, data);
      const auto begin = clock_type::now();
      child.start();
      child.join();
      samples.push_back(
          std::chrono::duration<double, std::micro>(clock_type::now() - begin)
              .count());
      if (child.exitcode() != 0) std::fprintf(stderr, "argument not whole\n");
    }
    char name[64];
    std::snprintf(name, sizeof name, "%s, 256 MiB argument",
                  std::string(mp::to_string(method)).c_str());
    report(name, samples);
  }
}

}  // namespace

int main(int argc, char** argv) {
  mp::detail::serve_if_started_by_exec();  // the guard, without fixing a method
  if (argc > 1 && std::strcmp(argv[1], "--first") == 0) {
    std::printf("%.0f\n", start_join_us(mp::start_method::forkserver));
    return 0;
  }
  if (argc > 1 && std::strcmp(argv[1], "--big") == 0) {
    run_big_argument(10);
    return 0;
  }
  const int runs = argc > 1 ? std::atoi(argv[1]) : 200;
  run_cases("small parent", runs);
  run_first_starts(runs / 10 > 10 ? runs / 10 : 10);
  run_big_argument(10);

  const start_bench::busy_parent busy;  // 200 MB, 4 threads spinning
  run_cases("200 MB parent, 4 threads", runs / 4 > 10 ? runs / 4 : 10);
  return busy.intact() ? 0 : 1;
}
