// multiproc::cpu_count — the CPUs this process may actually use.
//
// CPython's cpu_count() counts every CPU of the machine, so a pool sized by
// it oversubscribes a container or a pinned process (spec §6 P15). We count
// the affinity mask and then apply a cgroup v2 CPU quota if one is set.
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <string>

#include "multiproc/process.hpp"

namespace multiproc::inline v0 {
namespace {

unsigned affinity_count() {
  // Start with room for 1024 CPUs and grow for larger machines (EINVAL).
  for (std::size_t cpus = 1024; cpus <= (std::size_t{1} << 20); cpus *= 2) {
    cpu_set_t* set = CPU_ALLOC(cpus);
    if (set == nullptr) break;
    std::unique_ptr<cpu_set_t, decltype(&::__sched_cpufree)> guard(
        set, &::__sched_cpufree);
    std::size_t size = CPU_ALLOC_SIZE(cpus);
    if (sched_getaffinity(0, size, set) == 0) {
      return static_cast<unsigned>(CPU_COUNT_S(size, set));
    }
  }
  return 1;
}

// "max 100000" in the process's own cgroup (cgroup v2), or 0 for no quota.
unsigned cgroup_quota_cpus() {
  std::ifstream cgroup("/proc/self/cgroup");
  std::string line, path;
  while (std::getline(cgroup, line)) {
    if (line.rfind("0::", 0) == 0) path = line.substr(3);
  }
  if (path.empty()) return 0;
  std::ifstream limits("/sys/fs/cgroup" + path + "/cpu.max");
  std::string quota;
  double period = 0;
  if (!(limits >> quota >> period) || quota == "max" || period <= 0) return 0;
  double cpus = std::stod(quota) / period;
  return static_cast<unsigned>(std::max(1.0, std::ceil(cpus)));
}

}  // namespace

unsigned cpu_count() {
  unsigned count = affinity_count();
  if (unsigned quota = cgroup_quota_cpus(); quota != 0)
    count = std::min(count, quota);
  return std::max(count, 1U);
}

}  // namespace multiproc::inline v0
