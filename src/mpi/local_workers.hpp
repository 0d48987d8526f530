// Where an mpi::pool's local workers come from, on every rank: THE one
// place they are made, and what each runs first. Today a local worker is a
// fork of its rank, made after MPI_Init, which Open MPI 4.1 tolerates as
// long as the child never calls MPI (workers do not; see README, "MPI").
// Part 5a points these at the rank's forkserver, started before MPI_Init,
// so that no worker inherits MPI's state.
#pragma once

#include <memory>
#include <optional>

#include "multiproc/detail/pool_engine.hpp"
#include "multiproc/mpi.hpp"
#include "multiproc/pool.hpp"
#include "pool/worker_backend.hpp"

namespace multiproc::inline v0::detail::mpi {

/// The options of a plain local pool standing for an mpi::pool of a world
/// without agents (rank 0's workers run every task).
/// Errors: std::bad_alloc.
multiproc::pool_options local_worker_options(
    const multiproc::mpi::world& w, const multiproc::mpi::pool_options& options,
    int rank);

/// The engine of an mpi::pool: the remote back end with agents, else a
/// local pool's (local_worker_options).
/// Errors: usage_error for an initializer that cannot travel (the
/// contract's text); std::bad_alloc.
detail::pool_config pool_config_for(
    const multiproc::mpi::world& w,
    const multiproc::mpi::pool_options& options);

/// One local worker of an mpi::pool: rank 0's own (client_processes) or
/// an agent's. Errors: as fork_worker::spawn.
std::unique_ptr<worker> spawn_local_worker(worker_spawn_args args);

/// Rank 0, in ~world: close() and join() every mpi::pool still alive, as
/// their destructors would, while the agents still serve them.
void finish_live_pools() noexcept;

/// First thing in every local worker of an mpi::pool: drops the signal
/// handlers MPI installed in its rank and records the rank for
/// current_rank().
void prepare_pool_worker(int rank) noexcept;

}  // namespace multiproc::inline v0::detail::mpi
