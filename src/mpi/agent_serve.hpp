// An agent's serve loop: hosts the local workers rank 0's remote workers
// stand for (remote_worker.hpp), one local worker each (a child of the
// agent's forkserver: local_workers.hpp), and relays
// their frames. It marks a worker's real slot queued before passing a task
// on (as a dispatcher does), cancels or kills on rank 0's word, signals on
// its word, and reports a death with its exit code after every frame the
// worker sent. Rank 0 decides everything else: replacements are new
// workers it asks for. Nobody blocks in MPI: the loop polls MPI_Improbe
// and the workers' fds, spins world_options::spin after the last activity,
// then sleeps in poll() on those fds, 20 us doubling to 1 ms.
//
// A task's code is named in rank 0's module numbering; each worker
// matches rank 0's module table (sent at the handshake) to its own and
// resolves through that (set_peer_code_translation).
#pragma once

#include <mpi.h>

#include <chrono>
#include <cstddef>
#include <vector>

namespace multiproc::inline v0::detail::mpi {

/// Serves until rank 0 says stop; then kills and reaps every worker left.
/// `client_modules`: rank 0's module table as the handshake sent it
/// (remote::encode_modules).
void serve_agent(MPI_Comm comm, int rank, std::chrono::microseconds spin,
                 std::vector<std::byte> client_modules);

}  // namespace multiproc::inline v0::detail::mpi
