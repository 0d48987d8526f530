// The messages the world's ranks exchange on their own duplicate of
// MPI_COMM_WORLD, and the tags that tell them apart. Only this library
// talks on that communicator, so the tags need not avoid the program's.
#pragma once

namespace multiproc::inline v0::detail::mpi {

enum tag : int {
  /// Rank 0 -> agent: every module rank 0 has loaded (encode_modules).
  kTagModules = 1,
  /// Agent -> rank 0: its answer (handshake.hpp's agent_answer).
  kTagAnswer = 2,
  /// Rank 0 -> agent: the world has ended; finalize and exit 0.
  kTagStop = 3,
  /// Rank 0 -> agent: a batch of relay records for its workers
  /// (relay_records.hpp).
  kTagToAgent = 4,
  /// Agent -> rank 0: a batch of relay records from its workers.
  kTagToClient = 5,
};

}  // namespace multiproc::inline v0::detail::mpi
