#include "pool/live_pools.hpp"

#include <sys/types.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <vector>

#include "multiproc/detail/pool_engine.hpp"
#include "posix/this_pid.hpp"
#include "registry.hpp"

namespace multiproc::detail {
namespace {

struct pool_list {
  const pid_t owner = this_pid();
  std::mutex mutex;
  std::vector<std::weak_ptr<pool_engine>> pools;
};

// Never destroyed: the exit steps run after static destructors may have.
// A forked child inherits a copy that names the parent's pools (and maybe
// a lock held by a thread it does not have); it makes a list of its own.
pool_list& this_process_list() {
  static pool_list* list = nullptr;
  if (list == nullptr || list->owner != this_pid()) list = new pool_list();
  return *list;
}

// The first exit step: close every live pool, so that the work already
// submitted finishes, as ~pool() would; then join it within the exit
// policy's bound (none by default, as for children), terminating it when
// the bound passes.
void finish_live_pools(std::optional<steady_deadline> deadline) noexcept {
  std::vector<std::shared_ptr<pool_engine>> alive;
  {
    pool_list& list = this_process_list();
    std::lock_guard lock(list.mutex);
    for (const auto& weak : list.pools) {
      if (auto engine = weak.lock()) alive.push_back(std::move(engine));
    }
  }
  for (const auto& engine : alive) {
    try {
      engine->close();
    } catch (...) {
    }
  }
  for (const auto& engine : alive) {
    try {
      if (!engine->join_until(deadline)) {
        engine->terminate();
        engine->join();
      }
    } catch (...) {
      // At exit there is nobody to report to; the steps go on.
    }
  }
}

}  // namespace

void add_live_pool(const std::shared_ptr<pool_engine>& engine) {
  registry::set_first_exit_step(&finish_live_pools);
  pool_list& list = this_process_list();
  std::lock_guard lock(list.mutex);
  std::erase_if(list.pools, [](const auto& weak) { return weak.expired(); });
  list.pools.push_back(engine);
}

}  // namespace multiproc::detail
