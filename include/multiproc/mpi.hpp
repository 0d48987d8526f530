// multiproc::mpi: a multiproc::pool under an MPI job (issue 14, Part 5
// Half B). Not in the umbrella header, and it does not include <mpi.h>:
// link the optional target multiproc::mpi (built when CMake finds MPI).
//
//   int main(int argc, char** argv) {
//     mp::mpi::world world(argc, argv);     // agents never return from here
//     mp::mpi::pool workers(world, {.task_timeout = 30s});
//     std::vector<double> scores = workers.map(&score, inputs);
//   }
//
// Launch with `mpiexec -n 4 ./app`: rank 0 runs main, ranks 1-3 are
// agents. Without a launcher (or -n 1) the same binary runs its pool in
// local workers.
//
// Tasks run in local workers under the agents (and on rank 0 only with
// pool_options::client_processes, or with no agents), each a child of its
// rank's forkserver, never in a rank itself; see README, "MPI".
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "multiproc/pool.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::mpi {

/// What the world waits for. Python: none (mpi4py.futures has no
/// handshake).
struct world_options {
  /// Dispatchers poll MPI this long after the last message before sleeping
  /// (20 us doubling to 1 ms).
  std::chrono::microseconds spin = std::chrono::microseconds(200);
  /// How long rank 0 waits for every rank's handshake.
  std::chrono::seconds handshake_timeout = std::chrono::seconds(60);
};

/// The MPI job as multiproc sees it: created once, as every rank's first
/// statement in main. Python: `mpiexec -n N python -m mpi4py.futures`,
/// whose worker ranks never run the script's main either.
class world {
 public:
  /// Collective. Every rank first starts its forkserver, which every
  /// local worker of an mpi::pool comes from (so none inherits MPI's state
  /// or the rank's memory); it is also the guard where that forkserver's
  /// exec'd copy of the program stops. Rank 0 (the client): then
  /// MPI_Init_thread (needs MPI_THREAD_SERIALIZED), the handshake,
  /// returns. Other ranks (agents):
  /// the same, then serve until rank 0's world ends; never return
  /// (MPI_Finalize, exit code 0). Python: the -m mpi4py.futures entry.
  /// Errors: (rank 0) usage_error("multiproc::mpi::world can be created
  /// once per process"), usage_error("multiproc::mpi::world must be created
  /// before MPI_Init"); world_error when an agent runs another executable,
  /// a rank does not join within options.handshake_timeout, or MPI is
  /// below MPI_THREAD_SERIALIZED; std::bad_alloc.
  world(int& argc, char**& argv, world_options options = {});
  /// Rank 0: finishes every mpi::pool still alive (as ~pool: close, join),
  /// stops the agents, MPI_Finalize. Never throws. Python: the end
  /// of the -m mpi4py.futures script.
  ~world();
  world(const world&) = delete;
  world& operator=(const world&) = delete;

  /// One agent as its handshake described it. Python: none.
  struct agent {
    int rank = 0;
    std::string host;
    unsigned cpus = 0;  // its cpu_count()
  };

  /// Ranks in the job. Python: MPI.COMM_WORLD.Get_size().
  int size() const noexcept { return size_; }
  /// size() - 1. Python: MPIPoolExecutor's default worker count.
  unsigned agents() const noexcept {
    return static_cast<unsigned>(agent_list_.size());
  }
  /// The agents, by rank. Python: none.
  const std::vector<agent>& agent_list() const noexcept { return agent_list_; }

 private:
  int size_ = 1;
  std::vector<agent> agent_list_;
};

/// How an mpi::pool is sized. Python: MPIPoolExecutor(max_workers,
/// initializer, initargs).
struct pool_options {
  unsigned processes_per_agent = 0;  // local workers per agent; 0: its cpus
  /// Local workers on rank 0 too; 0: none, except with no agents:
  /// cpu_count().
  unsigned client_processes = 0;
  /// Run first by every local worker, on every rank; must be portable
  /// (multiproc/pool_initializer.hpp; the constructor refuses one that is
  /// not). Python: MPIPoolExecutor(initializer, initargs).
  pool_initializer initializer{};
  unsigned max_tasks_per_child = 0;  // as multiproc::pool_options
  std::optional<std::chrono::nanoseconds> task_timeout{};
  std::chrono::nanoseconds kill_grace = std::chrono::seconds(1);
};

/// A multiproc::pool of the world: every member is mp::pool's, with its
/// futures, errors and messages; usable wherever an mp::pool& is.
/// Python: mpi4py.futures.MPIPoolExecutor.
class pool : public multiproc::pool {
 public:
  /// Starts the pool's workers. Python: MPIPoolExecutor(...).
  /// Errors: as multiproc::pool's constructor; usage_error("multiproc::mpi::
  /// pool cannot send this initializer: use a function pointer, a
  /// captureless lambda or an empty function object, with arguments
  /// multiproc::codec can transfer").
  explicit pool(world& w, pool_options options = {});
  /// As multiproc::pool's (close, then join). Python: shutdown(wait=True).
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;
};

/// In a task run by an mpi::pool: the rank whose worker runs it (0 for
/// rank 0's own workers). Empty elsewhere. Python: none (a worker rank's
/// MPI.COMM_WORLD.Get_rank()).
std::optional<int> current_rank() noexcept;

/// The job cannot be used: an agent refused, or a rank never joined.
/// Python: none (mpi4py.futures hangs or aborts).
class world_error : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

}  // namespace multiproc::inline v0::mpi
#pragma GCC visibility pop
