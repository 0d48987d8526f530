// The pools of this process that still exist, so that the exit steps can
// let them finish their work before the daemon children (their workers)
// are sent SIGTERM.
//
// Without this, a pool that outlives main() — held by a global, or leaked
// — had its workers terminated under a running task by the exit steps,
// while a function-local static pool, destroyed earlier, finished its
// work: the outcome depended on where the pool was held.
// ProcessPoolExecutor finishes such work at exit too.
#pragma once

#include <memory>

namespace multiproc::inline v0::detail {

class pool_engine;

/// Remembers `engine` (weakly) until the exit steps run, and makes sure
/// they call finish_live_pools() first.
void add_live_pool(const std::shared_ptr<pool_engine>& engine);

}  // namespace multiproc::inline v0::detail
