// Shared by the limits_* and usage_* tests: caps sized from what this
// process already uses (a fork child starts with the parent's mappings),
// and the sanitizer builds in which memory caps cannot work.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace multiproc::testing {

/// A field of /proc/self/status in bytes ("VmData", "VmSize"), 0 if absent.
inline std::uint64_t status_bytes(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::stoull(line.substr(field.size() + 1)) * 1024;  // kB
    }
  }
  return 0;
}

/// Room for `extra` bytes more than this process's data (RLIMIT_DATA).
inline std::uint64_t data_cap_with_room(std::uint64_t extra) {
  return status_bytes("VmData") + extra;
}

/// Room for `extra` bytes more than this process's address space.
inline std::uint64_t address_cap_with_room(std::uint64_t extra) {
  return status_bytes("VmSize") + extra;
}

inline rlimit limit_of(int resource) {
  rlimit now{};
  ::getrlimit(static_cast<__rlimit_resource_t>(resource), &now);
  return now;
}

}  // namespace multiproc::testing

// ASan and TSan reserve terabytes of shadow memory up front and allocate
// through their own mappings: under RLIMIT_AS nothing maps, and RLIMIT_DATA
// counts their private writable mappings too. Memory caps cannot be tested
// there.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define MULTIPROC_SKIP_MEMORY_CAPS() \
  GTEST_SKIP() << "memory caps cannot work under ASan/TSan (shadow memory)"
#else
#define MULTIPROC_SKIP_MEMORY_CAPS() (void)0
#endif
