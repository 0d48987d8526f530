// What an agent rank does inside world's constructor, which it never
// leaves: answer the handshake, then serve (agent_serve.hpp) until rank 0 says
// stop, then MPI_Finalize and exit 0. An agent that runs another executable
// than rank 0 says so on stderr and ends the same way, with exit code 0, so
// that the launcher does not kill rank 0 before it can report.
#pragma once

#include <mpi.h>

#include "multiproc/mpi.hpp"

namespace multiproc::inline v0::detail::mpi {

[[noreturn]] void agent_main(MPI_Comm comm, int rank,
                             const multiproc::mpi::world_options& options);

}  // namespace multiproc::inline v0::detail::mpi
