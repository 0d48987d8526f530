// mpi::pool's constructor, current_rank(), and the pools ~world finishes.
//
// With agents, the pool's engine gets the remote back end
// (remote_worker.hpp): each agent hosts processes_per_agent (or its cpus)
// of its workers, and rank 0 client_processes more. Without agents it is a
// plain local pool.
#include "mpi/mpi_pool.hpp"

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

namespace multiproc::inline v0::detail::mpi {
namespace {
using multiproc::mpi::pool_options;
using multiproc::mpi::world;

// The mpi::pools alive on rank 0, for ~world (finish_live_pools).
std::mutex live_pools_mutex;
std::vector<multiproc::pool*> live_pools;  // under live_pools_mutex

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
  // Rank 0's own workers (client_processes): from its forkserver too.
  config.initializer = local_worker_initializer(
      0, {}, portable_initializer(options.initializer));
  config.max_tasks_per_child = options.max_tasks_per_child;
  config.kill_grace = options.kill_grace;
  config.check_task = &check_task_code;
  return config;
}

detail::pool_config pool_config_for(const world& w,
                                    const pool_options& options) {
  if (w.agents() != 0) return remote_config(w, options);
  // No agents: a plain local pool of rank 0's workers. A plain local pool
  // could run any callable, but the contract is the same with or without
  // agents: a program that works on a laptop works under mpiexec.
  detail::pool_config config;
  config.processes = total_processes(w, options);
  config.initializer = local_worker_initializer(
      0, {}, portable_initializer(options.initializer));
  config.max_tasks_per_child = options.max_tasks_per_child;
  config.kill_grace = options.kill_grace;
  config.backend = local_worker_backend();
  // The workers come from the forkserver, which has only the modules of
  // the world's start: later code is refused at submit, as with agents.
  config.check_task = &check_task_code;
  return config;
}

}  // namespace

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

std::optional<int> current_rank() noexcept {
  return detail::mpi::rank_of_this_worker();
}

}  // namespace multiproc::inline v0::mpi
