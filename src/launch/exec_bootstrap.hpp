// What a child made by exec of the program (spawn; API.md Part 5) reads at
// its guard: the portable request and the resource limits, in one memfd
// whose number the environment variable kExecMarker carries.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "launch/portable_request.hpp"
#include "limits/rlimit_plan.hpp"

namespace multiproc::inline v0::detail {

/// The environment variable that marks a copy of the program as a child:
/// its value is the fd of the bootstrap. Removed before the target runs.
inline constexpr const char* kExecMarker = "MULTIPROC_EXEC_CHILD";

/// The bytes of the bootstrap. Errors: std::bad_alloc.
std::vector<std::byte> encode_bootstrap(std::span<const std::byte> request,
                                        const rlimit_plan* limits);

struct decoded_bootstrap {
  std::vector<std::byte> request;  // encode_portable_request's bytes
  bool has_limits = false;
  rlimit_plan limits{};
};

/// Errors: codec_error when the bytes are not a bootstrap.
decoded_bootstrap decode_bootstrap(std::span<const std::byte> bytes);

/// The program's argv as main received it (captured while it loaded), so
/// that a spawned copy sees what its parent saw; null when unknown (the
/// library was loaded by dlopen).
char* const* program_arguments() noexcept;

/// The spawn launcher: posix_spawn of /proc/self/exe. Reads only the
/// request's portable form; refuses a request without one (EINVAL).
launcher& spawn_launcher();

}  // namespace multiproc::inline v0::detail
