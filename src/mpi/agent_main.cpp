#include "mpi/agent_main.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "mpi/agent_serve.hpp"
#include "mpi/handshake.hpp"
#include "mpi/poll_wait.hpp"
#include "mpi/protocol.hpp"
#include "multiproc/process.hpp"
#include "remote/module_table.hpp"

namespace multiproc::inline v0::detail::mpi {
namespace {

constexpr auto kForever = std::chrono::steady_clock::time_point::max();

// Receives one message of `tag` from rank 0, waiting without blocking in
// MPI.
std::vector<std::byte> receive_from_client(MPI_Comm comm, int tag,
                                           std::chrono::microseconds spin) {
  MPI_Message message;
  MPI_Status status;
  poll_until(
      [&] {
        int flag = 0;
        MPI_Improbe(0, tag, comm, &flag, &message, &status);
        return flag != 0;
      },
      kForever, spin);
  int count = 0;
  MPI_Get_count(&status, MPI_BYTE, &count);
  std::vector<std::byte> bytes(static_cast<std::size_t>(count));
  MPI_Mrecv(bytes.data(), count, MPI_BYTE, &message, MPI_STATUS_IGNORE);
  return bytes;
}

std::string processor_name() {
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(name, &length);
  return std::string(name, static_cast<std::size_t>(length));
}

}  // namespace

void agent_main(MPI_Comm comm, int rank,
                const multiproc::mpi::world_options& options) {
  const std::vector<std::byte> table =
      receive_from_client(comm, kTagModules, options.spin);
  const std::vector<remote::module_record> client_table =
      remote::decode_modules(table);
  const std::string theirs = main_build_id(client_table);
  const remote::module_map client_modules(client_table);
  agent_answer answer;
  answer.main_build_id = main_build_id(remote::describe_modules());
  answer.same_executable = !theirs.empty() && theirs == answer.main_build_id;
  answer.cpus = multiproc::cpu_count();
  answer.host = processor_name();
  answer.unmatched_modules = client_modules.unmatched();
  if (!answer.same_executable) {
    std::fprintf(stderr,
                 "multiproc::mpi: rank %d refused: it runs a different "
                 "executable (build-id %s, rank 0's %s)\n",
                 rank, remote::hex(answer.main_build_id).c_str(),
                 remote::hex(theirs).c_str());
  }
  const std::vector<std::byte> bytes = encode_answer(answer);
  MPI_Request sent = MPI_REQUEST_NULL;
  MPI_Isend(bytes.data(), static_cast<int>(bytes.size()), MPI_BYTE, 0,
            kTagAnswer, comm, &sent);

  if (answer.same_executable) {
    serve_agent(comm, rank, options.spin, table);
  } else {
    // A refused agent waits for stop too, so that every rank finalizes.
    receive_from_client(comm, kTagStop, options.spin);
  }
  MPI_Wait(&sent, MPI_STATUS_IGNORE);
  MPI_Comm_free(&comm);
  MPI_Finalize();
  std::fflush(nullptr);
  std::exit(0);
}

}  // namespace multiproc::inline v0::detail::mpi
