// world's constructor and destructor: MPI's start and end on every rank,
// and the roles (rank 0 returns, agents serve in agent_main).
#include <mpi.h>

#include <atomic>
#include <string>
#include <utility>

#include "mpi/agent_main.hpp"
#include "mpi/client_relay.hpp"
#include "mpi/code_checks.hpp"
#include "mpi/handshake.hpp"
#include "mpi/mpi_pool.hpp"
#include "mpi/protocol.hpp"
#include "multiproc/context.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/mpi.hpp"

namespace multiproc::inline v0::mpi {
namespace {

// One world per process: MPI can be initialised only once.
std::atomic<bool> world_created{false};
// The library's own duplicate of MPI_COMM_WORLD, while the world lives.
MPI_Comm library_comm = MPI_COMM_NULL;

const char* thread_level_name(int level) {
  switch (level) {
    case MPI_THREAD_SINGLE:
      return "MPI_THREAD_SINGLE";
    case MPI_THREAD_FUNNELED:
      return "MPI_THREAD_FUNNELED";
    case MPI_THREAD_SERIALIZED:
      return "MPI_THREAD_SERIALIZED";
    default:
      return "MPI_THREAD_MULTIPLE";
  }
}

// Tells every agent to finalize and exit; then finalizes rank 0.
void stop_agents_and_finalize(int size) {
  // Each request is freed, not waited on (below):
  // NOLINTNEXTLINE(clang-analyzer-optin.mpi.MPI-Checker)
  for (int rank = 1; rank < size; ++rank) {
    MPI_Request request = MPI_REQUEST_NULL;
    MPI_Isend(nullptr, 0, MPI_BYTE, rank, detail::mpi::kTagStop, library_comm,
              &request);
    // A zero-byte message goes eagerly; an agent that has not joined yet
    // receives it when it does, before finalizing.
    MPI_Request_free(&request);
  }
  MPI_Comm_free(&library_comm);
  MPI_Finalize();
}

}  // namespace

world::world(int& argc, char**& argv, world_options options) {
  if (world_created.exchange(true)) {
    throw usage_error("multiproc::mpi::world can be created once per process");
  }
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized != 0) {
    throw usage_error("multiproc::mpi::world must be created before MPI_Init");
  }
  // The guard, and this rank's forkserver, before MPI exists here. An
  // exec'd copy of the program (the forkserver itself, or a spawn child)
  // becomes what it was started as on this line, so it never initialises
  // MPI; every local worker of an mpi::pool is a fork of that server
  // (local_workers.hpp), so none inherits MPI's fds, shared memory,
  // threads or fault handlers. Its exec runs while MPI starts.
  (void)multiproc::get_context(multiproc::start_method::forkserver);
  int provided = MPI_THREAD_SINGLE;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
  MPI_Comm_dup(MPI_COMM_WORLD, &library_comm);
  int rank = 0;
  MPI_Comm_rank(library_comm, &rank);
  MPI_Comm_size(library_comm, &size_);
  if (provided < MPI_THREAD_SERIALIZED) {
    // Every rank sees the same level: all end here, rank 0 with the error.
    MPI_Comm_free(&library_comm);
    MPI_Finalize();
    if (rank != 0) std::exit(0);
    throw world_error(std::string("MPI provides ") +
                      thread_level_name(provided) +
                      "; multiproc::mpi needs MPI_THREAD_SERIALIZED");
  }
  if (rank != 0) detail::mpi::agent_main(library_comm, rank, options);
  try {
    detail::mpi::handshake_result found =
        detail::mpi::run_handshake(library_comm, size_, options);
    agent_list_ = std::move(found.agents);
    detail::mpi::record_world_modules(found.modules_sent,
                                      std::move(found.differing));
    // From here on only the relay's thread calls MPI, until the end.
    if (size_ > 1) {
      detail::mpi::start_world_relay(library_comm, size_, options.spin);
    }
  } catch (...) {
    stop_agents_and_finalize(size_);
    throw;
  }
}

world::~world() {
  detail::mpi::finish_live_pools();
  detail::mpi::stop_world_relay();
  stop_agents_and_finalize(size_);
}

}  // namespace multiproc::inline v0::mpi
