#include "mpi/sends.hpp"

#include <utility>

#include "mpi/byte_messages.hpp"

namespace multiproc::inline v0::detail::mpi {

void post_send(std::vector<in_flight_send>& sends, std::vector<std::byte> bytes,
               int rank, int tag, MPI_Comm comm) {
  sends.push_back({std::move(bytes), MPI_REQUEST_NULL});
  in_flight_send& send = sends.back();
  isend_bytes(send.bytes.data(), send.bytes.size(), rank, tag, comm,
              send.request);
}

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
