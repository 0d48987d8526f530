// Timing helpers with explicit slack. Speed goals live in bench/; tests only
// check that a wait is neither absurdly early nor absurdly late.
#pragma once

#include <chrono>
#include <cstdlib>

namespace multiproc::testing {

/// Multiplier for time limits, larger under sanitizers or valgrind
/// (MULTIPROC_TEST_SLOWDOWN=4, say). Defaults to 1.
inline double slowdown() {
  const char* value = std::getenv("MULTIPROC_TEST_SLOWDOWN");
  double factor = value != nullptr ? std::atof(value) : 1.0;
  return factor >= 1.0 ? factor : 1.0;
}

/// Generous upper bound for something expected to take `expected`.
inline std::chrono::milliseconds late_bound(
    std::chrono::milliseconds expected) {
  auto slack = std::chrono::milliseconds(500) + expected;
  return std::chrono::milliseconds(static_cast<long>(
      static_cast<double>((expected + slack).count()) * slowdown()));
}

class stopwatch {
 public:
  std::chrono::milliseconds elapsed() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start_);
  }

 private:
  std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::now();
};

}  // namespace multiproc::testing
