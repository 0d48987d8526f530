// Messages of the exceptions a future reports.
#include "multiproc/errors.hpp"

#include <string.h>

#include <cmath>
#include <cstdio>
#include <string>

namespace multiproc::inline v0 {
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

const char* barrier_message(barrier_broken_by cause) {
  switch (cause) {
    case barrier_broken_by::timeout:
      return "barrier broken: wait() timed out";
    case barrier_broken_by::abort:
      return "barrier broken: abort() was called";
    case barrier_broken_by::reset:
      return "barrier broken: reset() was called";
    case barrier_broken_by::party_died:
      return "barrier broken: a party ended while waiting";
    case barrier_broken_by::action_failed:
      return "barrier broken: the action threw";
  }
  return "barrier broken";
}

}  // namespace

broken_barrier_error::broken_barrier_error(barrier_broken_by cause)
    : std::runtime_error(barrier_message(cause)), cause_(cause) {}

process_died::process_died(int exitcode)
    : std::runtime_error(died_message(exitcode)), exitcode_(exitcode) {}

timeout_error::timeout_error(std::chrono::nanoseconds timeout)
    : std::runtime_error(timeout_message(timeout)), timeout_(timeout) {}

}  // namespace multiproc::inline v0
