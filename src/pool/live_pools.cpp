#include "pool/live_pools.hpp"

#include <sys/types.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <vector>

#include "multiproc/detail/pool_engine.hpp"
#include "posix/this_pid.hpp"
#include "registry.hpp"

namespace multiproc::inline v0::detail {
namespace {

struct pool_list {
  const pid_t owner = this_pid();
  std::mutex mutex;
  std::vector<std::weak_ptr<pool_engine>> pools;
};

// Never destroyed: the exit steps run after static destructors may have.
// A forked child inherits a copy that names the parent's pools (and maybe
// a lock held by a thread it does not have); it makes a list of its own.
std::atomic<pool_list*> g_list{nullptr};

// This process's list, or null when it has built no pool yet.
pool_list* this_process_list_if_any() {
  pool_list* list = g_list.load(std::memory_order_acquire);
  return list != nullptr && list->owner == this_pid() ? list : nullptr;
}

pool_list& this_process_list() {
  for (;;) {
    pool_list* seen = g_list.load(std::memory_order_acquire);
    if (seen != nullptr && seen->owner == this_pid()) return *seen;
    // Two threads building their first pools at once: one list wins.
    auto* fresh = new pool_list();
    if (g_list.compare_exchange_strong(seen, fresh,
                                       std::memory_order_acq_rel)) {
      return *fresh;
    }
    delete fresh;
  }
}

// The first exit step: close every live pool, so that the work already
// submitted finishes, as ~pool() would; then join it within the exit
// policy's bound (none by default, as for children), terminating it when
// the bound passes.
void finish_live_pools(std::optional<steady_deadline> deadline) noexcept {
  // A process that built no pool of its own (a child of one that did) has
  // nothing to finish, and allocates nothing on its way out.
  pool_list* existing = this_process_list_if_any();
  if (existing == nullptr) return;
  std::vector<std::shared_ptr<pool_engine>> alive;
  {
    pool_list& list = *existing;
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

}  // namespace multiproc::inline v0::detail
