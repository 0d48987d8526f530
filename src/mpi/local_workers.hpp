// Where an mpi::pool's local workers come from, on every rank: THE one
// place they are made, and what each runs first. A local worker is a child
// of its rank's forkserver, which world's constructor started before
// MPI_Init (API.md Half B, "Tasks never run in a rank"): it inherits none
// of MPI's state (its fds, shared memory, progress threads and fault
// handlers), and none of its rank's memory either, only what the program
// built before the world line.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "multiproc/pool_initializer.hpp"
#include "pool/worker_backend.hpp"

namespace multiproc::inline v0::detail::mpi {

/// What every local worker of an mpi::pool runs first, as its pool
/// initializer (portable, so that it travels to the forkserver's child):
/// records `rank` for current_rank(), raises the worker's oom_score_adj by
/// 500, makes code named in rank 0's module numbering resolve here when
/// `client_modules` (remote::encode_modules of rank 0's table) is not empty
/// (an agent's workers), then runs the user's initializer (bytes of
/// pool/initializer_bytes.hpp, named in rank 0's numbering; may be empty).
/// Errors: std::bad_alloc.
multiproc::pool_initializer local_worker_initializer(
    int rank, std::vector<std::byte> client_modules,
    std::vector<std::byte> user_initializer);

/// A back end that starts local workers from this rank's forkserver. One
/// per pool: it may keep a worker started ahead for that pool's
/// initializer (pool/worker_standby.hpp).
/// Errors: std::bad_alloc.
std::shared_ptr<worker_backend> local_worker_backend();

/// The rank whose worker runs the current task (current_rank()); empty
/// outside a local worker of an mpi::pool.
std::optional<int> rank_of_this_worker() noexcept;

}  // namespace multiproc::inline v0::detail::mpi
