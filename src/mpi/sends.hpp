// Messages in flight from one rank to another: what the client's relay
// (to each agent) and an agent (up to rank 0) both keep until MPI has sent
// them. MPI_Isend reads the bytes until its request completes.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <vector>

namespace multiproc::inline v0::detail::mpi {

/// A message MPI is sending from `bytes`, which stay put (a vector that is
/// moved keeps its buffer) until `request` completes.
struct in_flight_send {
  std::vector<std::byte> bytes;
  MPI_Request request = MPI_REQUEST_NULL;
};

/// Starts sending `bytes` to `rank` with `tag`, keeping them in `sends`
/// until forget_finished_sends() sees the request done.
void post_send(std::vector<in_flight_send>& sends, std::vector<std::byte> bytes,
               int rank, int tag, MPI_Comm comm);

/// Forgets the sends MPI has finished with. Returns whether any finished.
bool forget_finished_sends(std::vector<in_flight_send>& sends);

}  // namespace multiproc::inline v0::detail::mpi
