#include "std_streams.hpp"

#include <cstdio>
#include <iostream>

namespace multiproc::detail {

void flush_standard_streams() noexcept {
  try {
    std::cout.flush();
    std::cerr.flush();
    std::clog.flush();
  } catch (...) {
    // A stream the user set to throw on failure: nothing more to do.
  }
  std::fflush(stdout);
  std::fflush(stderr);
}

}  // namespace multiproc::detail
