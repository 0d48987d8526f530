// Reading a child's death in the light of the caps it was given: the kernel
// says only "SIGXCPU" or "SIGKILL"; the library knows which limits it set.
#include <signal.h>

#include <chrono>
#include <string>

#include "limits/rlimit_plan.hpp"
#include "multiproc/errors.hpp"

namespace multiproc::inline v0::detail {
namespace {

std::string seconds_text(std::chrono::seconds s) {
  return std::to_string(s.count()) + "s";
}

}  // namespace

std::optional<std::string> limit_reached(int exitcode, const limits& caps,
                                         const std::optional<usage>& used) {
  if (exitcode == -SIGXCPU && (caps.cpu_time || caps.cpu_time_hard)) {
    return "CPU time limit of " +
           seconds_text(caps.cpu_time ? *caps.cpu_time : *caps.cpu_time_hard) +
           " reached";
  }
  if (exitcode == -SIGKILL && (caps.cpu_time || caps.cpu_time_hard)) {
    const std::chrono::seconds hard =
        caps.cpu_time_hard ? *caps.cpu_time_hard
                           : *caps.cpu_time + std::chrono::seconds(1);
    // The kernel checks CPU limits on its tick; a child killed by someone
    // else before its hard limit must not be blamed on it. Its usage says
    // how much it had used when it died.
    if (used && used->cpu() >= hard - std::chrono::milliseconds(50)) {
      return "CPU time limit of " + seconds_text(hard) + " (hard) reached";
    }
  }
  if (exitcode == -SIGXFSZ && caps.file_size) {
    return "file size limit of " + std::to_string(*caps.file_size) +
           " bytes reached";
  }
  return std::nullopt;
}

std::string died_message(int exitcode, const std::optional<limits>& caps,
                         const std::optional<usage>& used) {
  std::string text = process_died(exitcode).what();
  if (caps) {
    if (auto why = limit_reached(exitcode, *caps, used)) {
      text += ": ";
      text += *why;
    }
  }
  return text;
}

}  // namespace multiproc::inline v0::detail
