// Figures for issue 4: what a result costs on top of the process itself.
//
//   small: call() returning an int versus a plain process start()+join()
//          (target: at most 1.1x);
//   large: call() returning a 256 MiB std::vector<std::byte> versus one
//          memcpy of 256 MiB in the parent (target: at most 2x). The memcpy
//          is measured both into fresh memory (what copying a vector costs:
//          the kernel must supply and zero every page) and into memory that
//          is already mapped.
//
// Medians of several rounds; the two small cases are interleaved so that
// drift in the machine affects both alike.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <multiproc/multiproc.hpp>
#include <vector>

namespace mp = multiproc;
using clock_type = std::chrono::steady_clock;

namespace {

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

template <class F>
double seconds_of(F&& work) {
  const auto start = clock_type::now();
  work();
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

volatile int g_sink = 0;

}  // namespace

int main(int argc, char** argv) {
  const int small_iterations = argc > 1 ? std::atoi(argv[1]) : 300;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;

  // --- Small results -------------------------------------------------------
  std::vector<double> plain, call;
  for (int round = 0; round < rounds; ++round) {
    plain.push_back(seconds_of([&] {
                      for (int i = 0; i < small_iterations; ++i) {
                        mp::process p([] {});
                        p.start();
                        p.join();
                      }
                    }) /
                    small_iterations);
    call.push_back(seconds_of([&] {
                     for (int i = 0; i < small_iterations; ++i) {
                       g_sink = g_sink + mp::call([] { return 42; });
                     }
                   }) /
                   small_iterations);
  }
  const double plain_us = median(plain) * 1e6;
  const double call_us = median(call) * 1e6;
  std::printf("small: process start+join %8.1f us\n", plain_us);
  std::printf(
      "small: call() -> int      %8.1f us   ratio %.3f (target <= 1.10)\n",
      call_us, call_us / plain_us);

  // --- Large results -------------------------------------------------------
  const std::size_t size = std::size_t{256} << 20;
  std::vector<std::byte> source(size);
  for (std::size_t i = 0; i < size; i += 64) {
    source[i] = static_cast<std::byte>(i >> 6);
  }
  std::vector<std::byte> mapped(size, std::byte{1});
  std::vector<double> fresh_copy, hot_copy, large_call;
  for (int round = 0; round < std::max(3, rounds / 2); ++round) {
    fresh_copy.push_back(seconds_of([&] {
      std::vector<std::byte> copy(source);
      g_sink = g_sink + static_cast<int>(copy.at(size - 64));
    }));
    hot_copy.push_back(seconds_of([&] {
      std::memcpy(mapped.data(), source.data(), size);
      g_sink = g_sink + static_cast<int>(mapped[size - 64]);
    }));
    large_call.push_back(seconds_of([&] {
      // The child returns (a reference to) its copy of the vector: the
      // figure is the transfer, not the making of the data.
      std::vector<std::byte> back = mp::call(
          [&source]() -> const std::vector<std::byte>& { return source; });
      if (back.size() != size || back[size - 64] != source[size - 64]) {
        std::fputs("large: wrong result\n", stderr);
        std::exit(1);
      }
    }));
  }
  const double fresh_ms = median(fresh_copy) * 1e3;
  const double hot_ms = median(hot_copy) * 1e3;
  const double large_ms = median(large_call) * 1e3;
  std::printf("large: memcpy 256 MiB into fresh memory %8.1f ms\n", fresh_ms);
  std::printf("large: memcpy 256 MiB into mapped memory %7.1f ms\n", hot_ms);
  std::printf(
      "large: call() -> 256 MiB vector<byte>   %8.1f ms   ratio %.2f vs fresh "
      "(target <= 2), %.2f vs mapped\n",
      large_ms, large_ms / fresh_ms, large_ms / hot_ms);
  return 0;
}
