// Messages of the exceptions a future reports.
#include "multiproc/errors.hpp"

#include <string.h>

#include <cmath>
#include <cstdio>
#include <string>

namespace multiproc {
namespace {

std::string died_message(int exitcode) {
  std::string text = "process died with exit code " + std::to_string(exitcode);
  if (exitcode < 0) {
    // sigabbrev_np (glibc 2.32) gives "SEGV" for 11; NULL for an unknown
    // number.
    if (const char* name = ::sigabbrev_np(-exitcode)) {
      text += " (SIG";
      text += name;
      text += ')';
    }
  }
  return text;
}

std::string timeout_message(std::chrono::nanoseconds timeout) {
  const double seconds = std::chrono::duration<double>(timeout).count();
  char text[96];
  std::snprintf(text, sizeof text, "process timed out after %gs and was killed",
                seconds);
  return text;
}

}  // namespace

process_died::process_died(int exitcode)
    : std::runtime_error(died_message(exitcode)), exitcode_(exitcode) {}

timeout_error::timeout_error(std::chrono::nanoseconds timeout)
    : std::runtime_error(timeout_message(timeout)), timeout_(timeout) {}

}  // namespace multiproc
