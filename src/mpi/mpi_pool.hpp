// What world needs of the mpi::pools alive on rank 0.
#pragma once

namespace multiproc::inline v0::detail::mpi {

/// Rank 0, in ~world: close() and join() every mpi::pool still alive, as
/// their destructors would, while the agents still serve them.
void finish_live_pools() noexcept;

}  // namespace multiproc::inline v0::detail::mpi
