// Messages over MPI's 2 GiB count (src/mpi/byte_messages.hpp), between
// two ranks of a plain MPI program: rank 0 sends one buffer of 2 GiB and
// a few bytes, then a small one; rank 1 checks the length, the bytes and
// the order, and says so. mpiexec's exit code is the verdict.
#include <mpi.h>

#include <climits>
#include <cstddef>
#include <cstdio>
#include <vector>

#include "mpi/byte_messages.hpp"

namespace mpi = multiproc::detail::mpi;

namespace {

constexpr std::size_t kLarge = std::size_t{INT_MAX} + 4098;
constexpr int kTag = 7;

std::byte pattern(std::size_t i) {
  return static_cast<std::byte>((i * 131 + i / 4096) % 251);
}

std::vector<std::byte> receive(MPI_Comm comm) {
  int flag = 0;
  MPI_Message message;
  MPI_Status status;
  while (flag == 0) MPI_Improbe(0, kTag, comm, &flag, &message, &status);
  std::vector<std::byte> bytes;
  mpi::mrecv_bytes(message, status, bytes);
  return bytes;
}

int check(bool ok, const char* what) {
  if (ok) return 0;
  std::fprintf(stderr, "byte messages: %s\n", what);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  int failures = 0;
  if (rank == 0) {
    std::vector<std::byte> large(kLarge);
    for (std::size_t i = 0; i < kLarge; ++i) large[i] = pattern(i);
    const std::vector<std::byte> small = {std::byte{1}, std::byte{2}};
    MPI_Request requests[2];
    mpi::isend_bytes(large.data(), large.size(), 1, kTag, MPI_COMM_WORLD,
                     requests[0]);
    mpi::isend_bytes(small.data(), small.size(), 1, kTag, MPI_COMM_WORLD,
                     requests[1]);
    MPI_Waitall(2, requests, MPI_STATUSES_IGNORE);
    MPI_Recv(&failures, 1, MPI_INT, 1, kTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  } else if (rank == 1) {
    const std::vector<std::byte> large = receive(MPI_COMM_WORLD);
    failures += check(large.size() == kLarge, "the large message's length");
    bool same = large.size() == kLarge;
    for (std::size_t i = 0; same && i < kLarge; ++i) {
      same = large[i] == pattern(i);
    }
    failures += check(same, "the large message's bytes");
    const std::vector<std::byte> small = receive(MPI_COMM_WORLD);
    failures += check(small.size() == 2 && small[1] == std::byte{2},
                      "the small message after it");
    MPI_Send(&failures, 1, MPI_INT, 0, kTag, MPI_COMM_WORLD);
  }
  MPI_Finalize();
  if (rank == 0 && failures == 0) std::printf("byte messages: ok\n");
  return failures == 0 ? 0 : 1;
}
