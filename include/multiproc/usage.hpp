// multiproc/usage.hpp — what one child used, from the kernel.
//
// Every child the library reaps leaves its resource usage (wait4(2)'s
// rusage), kept beside its exit code:
//
//   namespace mp = multiproc;
//   mp::process p(crunch);
//   p.start();
//   p.join();
//   if (auto used = p.usage())
//     std::cout << used->user_cpu.count() << " us of CPU, peak "
//               << used->max_rss << " bytes\n";
//
// future::usage() gives the same for an async() child, and for a pool task
// the task's own share, measured in its worker around the task.
#pragma once

#include <chrono>
#include <cstdint>

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// Resource usage of one ended child (or one pool task). For a child it
/// covers the child itself and every descendant it waited for, as the
/// kernel counts them.
/// Python: resource.getrusage(RUSAGE_CHILDREN), which only sums all the
/// children a process has waited for; here each child has its own.
struct usage {
  /// CPU time in user mode. Python: ru_utime.
  std::chrono::microseconds user_cpu{0};
  /// CPU time in the kernel on its behalf. Python: ru_stime.
  std::chrono::microseconds system_cpu{0};
  /// Peak resident set size, in bytes (the kernel's KiB times 1024). For a
  /// pool task: the worker's peak during the task where the kernel can
  /// reset it (/proc/self/clear_refs), else the worker's peak so far.
  /// Python: ru_maxrss (in KiB).
  std::uint64_t max_rss = 0;
  /// Page faults served without I/O. Python: ru_minflt.
  std::uint64_t minor_faults = 0;
  /// Page faults that needed I/O. Python: ru_majflt.
  std::uint64_t major_faults = 0;
  /// Times it gave up the CPU to wait. Python: ru_nvcsw.
  std::uint64_t voluntary_switches = 0;
  /// Times it was preempted. Python: ru_nivcsw.
  std::uint64_t involuntary_switches = 0;

  /// user_cpu + system_cpu. Python: ru_utime + ru_stime.
  std::chrono::microseconds cpu() const noexcept {
    return user_cpu + system_cpu;
  }
};

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
