// The kernel's struct rusage in the library's units.
#include "limits/usage_from.hpp"

#include <sys/resource.h>

#include <chrono>

namespace multiproc::inline v0::detail {
namespace {

std::chrono::microseconds micros(const timeval& t) noexcept {
  return std::chrono::seconds(t.tv_sec) + std::chrono::microseconds(t.tv_usec);
}

std::uint64_t count(long value) noexcept {
  return value > 0 ? static_cast<std::uint64_t>(value) : 0;
}

std::uint64_t grown(long before, long after) noexcept {
  return after > before ? static_cast<std::uint64_t>(after - before) : 0;
}

}  // namespace

usage usage_from(const rusage& used) noexcept {
  usage u;
  u.user_cpu = micros(used.ru_utime);
  u.system_cpu = micros(used.ru_stime);
  u.max_rss = count(used.ru_maxrss) * 1024;  // the kernel counts KiB
  u.minor_faults = count(used.ru_minflt);
  u.major_faults = count(used.ru_majflt);
  u.voluntary_switches = count(used.ru_nvcsw);
  u.involuntary_switches = count(used.ru_nivcsw);
  return u;
}

usage usage_between(const rusage& before, const rusage& after) noexcept {
  usage u;
  u.user_cpu = micros(after.ru_utime) - micros(before.ru_utime);
  u.system_cpu = micros(after.ru_stime) - micros(before.ru_stime);
  u.max_rss = count(after.ru_maxrss) * 1024;
  u.minor_faults = grown(before.ru_minflt, after.ru_minflt);
  u.major_faults = grown(before.ru_majflt, after.ru_majflt);
  u.voluntary_switches = grown(before.ru_nvcsw, after.ru_nvcsw);
  u.involuntary_switches = grown(before.ru_nivcsw, after.ru_nivcsw);
  return u;
}

}  // namespace multiproc::inline v0::detail
