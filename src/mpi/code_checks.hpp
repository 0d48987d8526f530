// Rank 0's refusals of task code the agents cannot run (API.md Part 5
// Half B, "Misuse and errors"), at submit rather than as a failure on the
// agent: code in a library that differs (another build-id, or missing) on
// some agent, as the handshake found, and code in a module loaded after the
// world was created, which the agents' module maps do not know.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "multiproc/detail/task_record.hpp"

namespace multiproc::inline v0::detail::mpi {

/// What the handshake found (world's constructor, rank 0): the size of
/// the module table sent, and the ranks each differing module differs on.
void record_world_modules(std::size_t modules_sent,
                          std::map<std::uint32_t, std::vector<int>> differing);

/// pool_config::check_task of an mpi::pool with agents.
/// Errors: usage_error("the task's code is in <path>, which differs on rank
/// 2, 3 (build-id)") or usage_error("the task's code is in <path>, loaded
/// after multiproc::mpi::world was created"); std::bad_alloc.
void check_task_code(const task_record& task);

}  // namespace multiproc::inline v0::detail::mpi
