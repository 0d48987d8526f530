// mpi::pool's constructor and current_rank(), and the local workers of
// local_workers.hpp.
//
// With agents, the pool's engine gets the remote back end
// (remote_worker.hpp): each agent hosts processes_per_agent (or its cpus)
// of its workers, and rank 0 client_processes more. Without agents it is a
// plain local pool.
#include <sys/prctl.h>

#include <algorithm>
#include <csignal>
#include <mutex>
#include <optional>
#include <utility>

#include "mpi/client_relay.hpp"
#include "mpi/code_checks.hpp"
#include "mpi/local_workers.hpp"
#include "mpi/remote_worker.hpp"
#include "multiproc/detail/pool_engine.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/mpi.hpp"
#include "multiproc/process.hpp"
#include "pool/initializer_bytes.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail::mpi {
namespace {
using multiproc::mpi::pool_options;
using multiproc::mpi::world;

// The mpi::pools alive on rank 0, for ~world (finish_live_pools).
std::mutex live_pools_mutex;
std::vector<multiproc::pool*> live_pools;  // under live_pools_mutex

// The rank whose worker runs the current task; set in each worker by
// prepare_pool_worker (a worker is a fork, so rank 0's main never sees it).
std::optional<int> worker_rank;

unsigned processes_of(const world::agent& agent, const pool_options& options) {
  return options.processes_per_agent != 0 ? options.processes_per_agent
                                          : agent.cpus;
}

unsigned total_processes(const world& w, const pool_options& options) {
  unsigned total = options.client_processes;
  for (const auto& agent : w.agent_list())
    total += processes_of(agent, options);
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

// The initializer travels to the agents by name (API.md: "must be
// portable").
std::vector<std::byte> portable_initializer(
    const multiproc::pool_initializer& initializer) {
  if (!initializer) return {};
  if (!initializer.is_portable()) {
    throw usage_error(
        "multiproc::mpi::pool cannot send this initializer: use a function "
        "pointer, a captureless lambda or an empty function object, with "
        "arguments multiproc::codec can transfer");
  }
  return encode_initializer_bytes(initializer);
}

detail::pool_config remote_config(const world& w, const pool_options& options) {
  std::vector<remote_placement::host> hosts;
  hosts.push_back({0, options.client_processes});
  for (const auto& agent : w.agent_list()) {
    hosts.push_back({agent.rank, processes_of(agent, options)});
  }
  detail::pool_config config;
  config.processes = total_processes(w, options);
  config.backend = make_remote_backend(
      world_relay(), std::move(hosts),
      portable_initializer(options.initializer), options.max_tasks_per_child);
  // Rank 0's own workers run it from here; the agents' by name.
  config.initializer = [user = options.initializer] {
    prepare_pool_worker(0);
    user();
  };
  config.max_tasks_per_child = options.max_tasks_per_child;
  config.kill_grace = options.kill_grace;
  config.check_task = &check_task_code;
  return config;
}

}  // namespace

multiproc::pool_options local_worker_options(const world& w,
                                             const pool_options& options,
                                             int rank) {
  multiproc::pool_options local;
  local.processes = total_processes(w, options);
  // A plain local pool could run any callable, but the contract is the
  // same with or without agents: a program that works on a laptop works
  // under mpiexec.
  (void)portable_initializer(options.initializer);
  local.initializer = [user = options.initializer, rank] {
    prepare_pool_worker(rank);
    user();
  };
  local.max_tasks_per_child = options.max_tasks_per_child;
  local.task_timeout = options.task_timeout;
  local.kill_grace = options.kill_grace;
  // Forks whatever the default method, as before pools honoured it: the
  // initializer above captures, so it could not travel to a spawned worker.
  local.start_method = multiproc::start_method::fork;
  return local;
}

detail::pool_config pool_config_for(const world& w,
                                    const pool_options& options) {
  if (w.agents() != 0) return remote_config(w, options);
  multiproc::pool_options local = local_worker_options(w, options, 0);
  detail::pool_config config;
  config.processes = local.processes;
  config.initializer = std::move(local.initializer);
  config.max_tasks_per_child = local.max_tasks_per_child;
  config.kill_grace = local.kill_grace;
  return config;
}

void finish_live_pools() noexcept {
  std::vector<multiproc::pool*> pools;
  {
    std::lock_guard lock(live_pools_mutex);
    pools = live_pools;
  }
  for (multiproc::pool* p : pools) {
    try {
      p->close();
      p->join();
    } catch (...) {
      // Not its creator (a forked child's world): nothing to finish here.
    }
  }
}

std::unique_ptr<worker> spawn_local_worker(worker_spawn_args args) {
  static const std::shared_ptr<worker_backend> forks =
      detail::pool_engine::default_backend();
  return forks->spawn(std::move(args));
}

void prepare_pool_worker(int rank) noexcept {
  drop_inherited_mpi_signal_handlers();
  // An agent naps with a 1 ns timer slack (use_exact_naps); a task gets
  // the system's default again.
  sys::prctl(PR_SET_TIMERSLACK, 0);
  worker_rank = rank;
}

}  // namespace multiproc::inline v0::detail::mpi

namespace multiproc::inline v0::mpi {

// By value, as API.md declares it (the multiproc::pool constructor's shape).
// NOLINTNEXTLINE(performance-unnecessary-value-param)
pool::pool(world& w, pool_options options)
    : multiproc::pool(detail::mpi::pool_config_for(w, options),
                      options.task_timeout) {
  std::lock_guard lock(detail::mpi::live_pools_mutex);
  detail::mpi::live_pools.push_back(this);
}

pool::~pool() {
  std::lock_guard lock(detail::mpi::live_pools_mutex);
  std::erase(detail::mpi::live_pools, this);
}

std::optional<int> current_rank() noexcept { return detail::mpi::worker_rank; }

}  // namespace multiproc::inline v0::mpi
