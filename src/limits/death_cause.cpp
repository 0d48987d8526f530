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
    // A SIGKILL has many senders; the hard limit is blamed only when the
    // child's usage shows it had gone past its soft limit (it ignored or
    // caught SIGXCPU), which leaves at least a second between the two. The
    // usage is compared with slack: the kernel fires CPU limits on tick
    // counts, while rusage reports the scheduler's precise runtime, and on
    // a virtual machine whose CPU is stolen the ticks run ahead (measured:
    // SIGXCPU at 1 s of ticks with 0.84 s in rusage).
    const std::chrono::seconds soft = caps.cpu_time ? *caps.cpu_time : hard;
    if (used && used->cpu() * 4 >= soft * 3) {
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
