// A `limits` turned into the setrlimit(2) calls that carry it out, checked
// in the parent (where an error can still be thrown and nothing has been
// started) and applied in the child (where nothing may allocate or throw).
#pragma once

#include <sys/resource.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "multiproc/limits.hpp"
#include "multiproc/usage.hpp"

namespace multiproc::inline v0::detail {

struct rlimit_entry {
  int resource = 0;
  rlimit value{};
};

/// Every resource a `limits` can name, at most once each.
inline constexpr std::size_t kLimitedResources = 6;

/// The calls for one child, made in the parent: plain data, so a fork child
/// reads it from its copy of the parent's memory without allocating.
struct rlimit_plan {
  std::array<rlimit_entry, kLimitedResources> entries{};
  std::size_t count = 0;
};

/// Checks `caps` and resolves it against this process's own limits: each cap
/// becomes both soft and hard limit of the child (so it cannot raise it
/// again), except core dumps, which only lower the soft limit. Errors:
/// usage_error for a zero cap or a hard CPU limit below the soft one;
/// std::system_error (EPERM) for a cap above this process's hard limit.
rlimit_plan plan_child_limits(const limits& caps);

/// In a fork child, before the user's code: applies every entry.
/// Async-signal-safe. Returns false when the kernel refused one (the plan
/// was checked, so only a parent that lowered its hard limits since).
bool apply_child_limits(const rlimit_plan& plan) noexcept;

/// One soft limit of a pool task, as it travels to the worker (wire.hpp,
/// frame_kind::limits). `soft` is bytes or a count; for RLIMIT_CPU the
/// seconds the task may use from its start.
struct task_limit {
  std::uint32_t resource;
  std::uint32_t reserved;
  std::uint64_t soft;
};
static_assert(sizeof(task_limit) == 16);

struct task_limit_list {
  std::array<task_limit, kLimitedResources> entries{};
  std::size_t count = 0;
};

/// The bytes of a frame_kind::limits frame (pool/wire.hpp).
/// Errors: std::bad_alloc.
std::vector<std::byte> encode_task_limits(const task_limit_list& list);

/// Checks a pool task's `caps` against the hard limits its workers will have
/// (this process's, lowered by `worker_caps` when the pool has them). A task
/// lowers soft limits only, so that its worker can restore them after it.
/// Errors: as plan_child_limits(), and usage_error for cpu_time_hard (a
/// worker's hard limits outlive the task).
task_limit_list plan_task_limits(const limits& caps,
                                 const std::optional<limits>& worker_caps);

/// The reason a child's death is the work of one of its caps, if it is:
/// SIGXCPU (or SIGKILL past the hard CPU limit, told by `used`) with a CPU
/// cap, SIGXFSZ with a file-size cap. Python: none. Errors: std::bad_alloc.
std::optional<std::string> limit_reached(int exitcode, const limits& caps,
                                         const std::optional<usage>& used);

/// "process died with exit code -24 (SIGXCPU): CPU time limit of 1s
/// reached" when the caps explain the death, else process_died's own text.
/// Errors: std::bad_alloc.
std::string died_message(int exitcode, const std::optional<limits>& caps,
                         const std::optional<usage>& used);

}  // namespace multiproc::inline v0::detail
