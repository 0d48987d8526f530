#include "mpi/sends.hpp"

#include <utility>

namespace multiproc::inline v0::detail::mpi {

// Each request is completed by forget_finished_sends(), which its owner
// runs until none is left, or cancelled at shutdown (the checker cannot see
// that):
// NOLINTBEGIN(clang-analyzer-optin.mpi.MPI-Checker)
void post_send(std::vector<in_flight_send>& sends, std::vector<std::byte> bytes,
               int rank, int tag, MPI_Comm comm) {
  sends.push_back({std::move(bytes), MPI_REQUEST_NULL});
  in_flight_send& send = sends.back();
  // TODO(issue 14): split messages over 2 GiB (MPI's int count).
  MPI_Isend(send.bytes.data(), static_cast<int>(send.bytes.size()), MPI_BYTE,
            rank, tag, comm, &send.request);
}
// NOLINTEND(clang-analyzer-optin.mpi.MPI-Checker)

bool forget_finished_sends(std::vector<in_flight_send>& sends) {
  const std::size_t before = sends.size();
  std::erase_if(sends, [](in_flight_send& send) {
    int done = 0;
    MPI_Test(&send.request, &done, MPI_STATUS_IGNORE);
    return done != 0;
  });
  return sends.size() != before;
}

}  // namespace multiproc::inline v0::detail::mpi
