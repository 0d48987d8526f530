// Messages of any size, as MPI byte buffers. MPI counts in `int`, so a
// buffer over 2 GiB (a big task argument or result) cannot be described as
// that many MPI_BYTEs. It travels instead as one message whose datatype
// is a run of 1 MiB blocks followed by the rest: its type signature is
// still that many bytes, so it matches a receive of the same length built
// the same way, and MPI splits it on the wire as it splits any large
// message. The receiver learns the length with MPI_Get_elements_x (a
// 64-bit count). Messages under 2 GiB take the plain MPI_BYTE path.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <vector>

namespace multiproc::inline v0::detail::mpi {

/// MPI_Isend of `size` bytes at `data`, which must stay put until
/// `request` completes.
void isend_bytes(const std::byte* data, std::size_t size, int rank, int tag,
                 MPI_Comm comm, MPI_Request& request);

/// The whole message `message` (matched by MPI_Improbe, which filled
/// `status`), received into `out` (resized to its length).
/// Errors: std::bad_alloc.
void mrecv_bytes(MPI_Message& message, const MPI_Status& status,
                 std::vector<std::byte>& out);

}  // namespace multiproc::inline v0::detail::mpi
