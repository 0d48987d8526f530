// mpi::pool's constructor and current_rank().
//
// This step has no task transport to the agents yet: the pool's workers
// are all rank 0's own, as many as the pool will have in total (its
// client_processes plus each agent's share), so processes() and map's
// default chunk are already what they will be.
#include <csignal>
#include <optional>
#include <utility>

#include "multiproc/mpi.hpp"
#include "multiproc/process.hpp"

namespace multiproc::inline v0::detail::mpi {
namespace {
using multiproc::mpi::pool_options;
using multiproc::mpi::world;

// The rank whose worker runs the current task; set in each worker by the
// pool's initializer (a worker is a fork, so rank 0's main never sees it).
std::optional<int> worker_rank;

unsigned total_processes(const world& w, const pool_options& options) {
  unsigned total = options.client_processes;
  for (const auto& agent : w.agent_list()) {
    total += options.processes_per_agent != 0 ? options.processes_per_agent
                                              : agent.cpus;
  }
  return total != 0 ? total : multiproc::cpu_count();
}

// Open MPI's MPI_Init installs handlers for SIGABRT, SIGBUS, SIGFPE and
// SIGSEGV (MCA opal_signal) that print a backtrace; a forked worker
// inherits them, so a crashing task would print MPI's report. The worker
// dies as a plain process instead (its future says how). Resetting to the
// default of a valid signal cannot fail. Moot once workers come from a
// forkserver started before MPI_Init.
void drop_inherited_mpi_signal_handlers() {
  for (int signo : {SIGABRT, SIGBUS, SIGFPE, SIGSEGV}) {
    std::signal(signo, SIG_DFL);
  }
}

}  // namespace

// THE one place an agent's (and rank 0's) local workers are made. Today a
// local pool forks this process after MPI_Init, which Open MPI 4.1
// tolerates as long as the child never calls MPI (the workers do not; see
// README, "MPI"). Part 5a points this at the rank's forkserver, started
// before MPI_Init, so that no worker inherits MPI's state.
multiproc::pool_options local_worker_options(const world& w,
                                             pool_options options, int rank) {
  multiproc::pool_options local;
  local.processes = total_processes(w, options);
  local.initializer = [user = std::move(options.initializer), rank] {
    drop_inherited_mpi_signal_handlers();
    worker_rank = rank;
    if (user) user();
  };
  local.max_tasks_per_child = options.max_tasks_per_child;
  local.task_timeout = options.task_timeout;
  local.kill_grace = options.kill_grace;
  // Forks whatever the default method, as before pools honoured it: the
  // initializer above captures, so it could not travel to a spawned worker.
  local.start_method = multiproc::start_method::fork;
  return local;
}

}  // namespace multiproc::inline v0::detail::mpi

namespace multiproc::inline v0::mpi {

pool::pool(world& w, pool_options options)
    : multiproc::pool(
          detail::mpi::local_worker_options(w, std::move(options), 0)) {}

std::optional<int> current_rank() noexcept { return detail::mpi::worker_rank; }

}  // namespace multiproc::inline v0::mpi
