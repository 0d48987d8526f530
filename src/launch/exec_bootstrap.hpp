// What a child made by exec of the program (spawn; API.md Part 5) reads at
// its guard: the portable request and the resource limits, in one memfd
// whose number the environment variable kExecMarker carries.
#pragma once

#include <sys/types.h>

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

/// Where a child that runs the portable request came from, for the serve
/// path both exec'd methods share (start/exec_child.cpp).
struct exec_origin {
  const char* method;  // "spawn" or "forkserver", for messages
  /// The getppid() a kill_on_parent_death child must see once it armed
  /// PR_SET_PDEATHSIG: its creator (spawn) or the forkserver.
  pid_t kernel_parent = 0;
  /// The creator's pidfd, handed down by a forkserver that proved it; -1:
  /// the child opens one itself (its creator is its kernel parent).
  int parent_pidfd = -1;
};

/// The serve path: becomes the child the request describes (never
/// returns; a function pointer type cannot say [[noreturn]]).
using serve_function = void (*)(decoded_bootstrap& boot,
                                decoded_request& request,
                                const exec_origin& origin) noexcept;

/// The program's argv as main received it (captured while it loaded), so
/// that a spawned copy sees what its parent saw; null when unknown (the
/// library was loaded by dlopen).
char* const* program_arguments() noexcept;

/// The spawn launcher: posix_spawn of /proc/self/exe. Reads only the
/// request's portable form; refuses a request without one (EINVAL).
launcher& spawn_launcher();

}  // namespace multiproc::inline v0::detail
