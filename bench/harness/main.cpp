// multiproc_compare: runs one case of the comparison harness and prints its
// samples as one JSON line. bench/compare.py drives it, interleaving cases
// of every implementation round by round.
//
//   multiproc_compare --list
//   multiproc_compare --case startjoin/multiproc --iterations 40
//                     [--warmup 1] [--ballast-mb 200]
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "common.hpp"

namespace {

int usage() {
  std::fputs(
      "usage: multiproc_compare --list\n"
      "       multiproc_compare --case NAME [--iterations N] "
      "[--warmup N] [--ballast-mb MB]\n",
      stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<bench::case_def> cases;
  bench::add_floor_cases(cases);
  bench::add_multiproc_cases(cases);
  bench::add_boost_cases(cases);
  bench::add_pool_cases(cases);

  std::string wanted;
  int iterations = 10;
  int warmup = 1;
  std::size_t ballast_mb = 0;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      return i + 1 < argc ? argv[++i] : nullptr;
    };
    if (arg == "--list") {
      for (const auto& c : cases) std::printf("%s\n", c.name.c_str());
      return 0;
    }
    const char* v = nullptr;
    if (arg == "--case" && (v = value())) {
      wanted = v;
    } else if (arg == "--iterations" && (v = value())) {
      iterations = std::atoi(v);
    } else if (arg == "--warmup" && (v = value())) {
      warmup = std::atoi(v);
    } else if (arg == "--ballast-mb" && (v = value())) {
      ballast_mb = static_cast<std::size_t>(std::atoll(v));
    } else {
      return usage();
    }
  }
  if (wanted.empty() || iterations <= 0) return usage();

  try {
    for (const auto& c : cases) {
      if (c.name != wanted) continue;
      if (wanted.starts_with("children")) {
        std::string problem = bench::make_room_for(bench::kManyChildren);
        if (!problem.empty()) {
          std::fprintf(stderr, "multiproc_compare: %s\n", problem.c_str());
          return 3;
        }
      }
      bench::add_ballast(ballast_mb);
      bench::results out;
      if (warmup > 0) {
        c.run(warmup, out);  // page faults, first-use statics
        out = bench::results{};
      }
      c.run(iterations, out);
      out.print_json(c.name);
      return 0;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "multiproc_compare: %s: %s\n", wanted.c_str(),
                 e.what());
    return 1;
  }
  std::fprintf(stderr, "multiproc_compare: unknown case %s\n", wanted.c_str());
  return 2;
}
