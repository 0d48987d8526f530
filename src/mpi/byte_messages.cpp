#include "mpi/byte_messages.hpp"

#include <climits>
#include <cstdint>

namespace multiproc::inline v0::detail::mpi {
namespace {

constexpr std::size_t kBlock = std::size_t{1} << 20;

// A committed datatype of exactly `size` bytes: `size / kBlock` blocks of
// kBlock bytes, then the remainder. Freed when it goes out of scope; MPI
// lets a datatype be freed while an operation that uses it is pending.
class byte_run_type {
 public:
  explicit byte_run_type(std::size_t size) {
    MPI_Datatype block = MPI_DATATYPE_NULL;
    MPI_Type_contiguous(static_cast<int>(kBlock), MPI_BYTE, &block);
    int lengths[2] = {static_cast<int>(size / kBlock),
                      static_cast<int>(size % kBlock)};
    MPI_Aint displacements[2] = {0,
                                 static_cast<MPI_Aint>(size / kBlock * kBlock)};
    MPI_Datatype types[2] = {block, MPI_BYTE};
    MPI_Type_create_struct(2, lengths, displacements, types, &type_);
    MPI_Type_commit(&type_);
    MPI_Type_free(&block);
  }
  ~byte_run_type() { MPI_Type_free(&type_); }
  byte_run_type(const byte_run_type&) = delete;
  byte_run_type& operator=(const byte_run_type&) = delete;

  MPI_Datatype get() const noexcept { return type_; }

 private:
  MPI_Datatype type_ = MPI_DATATYPE_NULL;
};

bool fits_an_int(std::size_t size) {
  return size <= static_cast<std::size_t>(INT_MAX);
}

}  // namespace

// The request is completed by its owner (sends.hpp), which the checker
// cannot see:
// NOLINTBEGIN(clang-analyzer-optin.mpi.MPI-Checker)
void isend_bytes(const std::byte* data, std::size_t size, int rank, int tag,
                 MPI_Comm comm, MPI_Request& request) {
  if (fits_an_int(size)) {
    MPI_Isend(data, static_cast<int>(size), MPI_BYTE, rank, tag, comm,
              &request);
    return;
  }
  const byte_run_type type(size);
  MPI_Isend(data, 1, type.get(), rank, tag, comm, &request);
}
// NOLINTEND(clang-analyzer-optin.mpi.MPI-Checker)

void mrecv_bytes(MPI_Message& message, const MPI_Status& status,
                 std::vector<std::byte>& out) {
  MPI_Count count = 0;
  MPI_Get_elements_x(&status, MPI_BYTE, &count);
  const auto size = static_cast<std::size_t>(count);
  out.resize(size);
  if (fits_an_int(size)) {
    MPI_Mrecv(out.data(), static_cast<int>(size), MPI_BYTE, &message,
              MPI_STATUS_IGNORE);
    return;
  }
  const byte_run_type type(size);
  MPI_Mrecv(out.data(), 1, type.get(), &message, MPI_STATUS_IGNORE);
}

}  // namespace multiproc::inline v0::detail::mpi
