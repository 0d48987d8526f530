// multiproc::pool: the parts of the typed front end that are not templates.
#include "multiproc/pool.hpp"

#include <string>

#include "limits/rlimit_plan.hpp"
#include "multiproc/process.hpp"
#include "pool/live_pools.hpp"
#include "start/method_choice.hpp"

namespace multiproc::inline v0 {
namespace {

detail::pool_config engine_config(pool_options& options) {
  // Building a pool is a guard (API.md Part 5): a spawned copy of the
  // program becomes its child here, before any of the work below.
  detail::serve_if_started_by_exec();
  detail::pool_config config;
  config.method = detail::resolve_start_method(options.start_method);
  if (config.method != start_method::fork && options.initializer &&
      !options.initializer.is_portable()) {
    throw usage_error("the '" + std::string(to_string(config.method)) +
                      "' start method cannot send this initializer: use a "
                      "function pointer, a captureless lambda or an empty "
                      "function object, with arguments multiproc::codec can "
                      "transfer");
  }
  config.processes = options.processes != 0 ? options.processes : cpu_count();
  config.initializer = std::move(options.initializer);
  config.max_tasks_per_child = options.max_tasks_per_child;
  config.kill_grace = options.kill_grace;
  if (options.limits) {
    // Checked before any worker is forked: bad caps fail the constructor.
    (void)detail::plan_child_limits(*options.limits);
    config.worker_limits = options.limits;
  }
  return config;
}

}  // namespace

pool::pool(pool_options options)
    : births_before_workers_(detail::sync::births_so_far()),
      engine_(std::make_shared<detail::pool_engine>(engine_config(options))),
      task_timeout_(options.task_timeout) {
  detail::add_live_pool(engine_);
}

pool::pool(detail::pool_config config,
           std::optional<std::chrono::nanoseconds> task_timeout)
    : births_before_workers_(detail::sync::births_so_far()),
      engine_(std::make_shared<detail::pool_engine>(std::move(config))),
      task_timeout_(task_timeout) {
  detail::add_live_pool(engine_);
}

pool::~pool() {
  try {
    engine_->close();
    engine_->join();
  } catch (...) {
    // join() after close() cannot report misuse; a failing OS call here
    // leaves the engine's own destructor (with the last future) to stop it.
  }
}

void pool::close() { engine_->close(); }
void pool::terminate() { engine_->terminate(); }
void pool::join() { engine_->join(); }

std::size_t pool::chunksize_for(std::size_t items,
                                std::size_t requested) const {
  if (requested != 0) return requested;
  // Python's Pool.map: about four chunks per worker.
  const std::size_t chunks = 4 * std::size_t{engine_->processes()};
  return (items + chunks - 1) / chunks;
}

}  // namespace multiproc::inline v0
