// multiproc::set_exit_policy / get_exit_policy (multiproc/exit_policy.hpp).
// The exit steps that apply the policy are registry::finish_children().
#include "multiproc/exit_policy.hpp"

#include <atomic>
#include <cstdint>

namespace multiproc::inline v0 {
namespace {

// Two atomics rather than a struct under a mutex: the exit steps also run
// in children, which must not meet a lock that another thread of the
// parent held at fork time. -1: join without limit.
std::atomic<std::int64_t> g_join_timeout_ns{-1};
std::atomic<std::int64_t> g_terminate_grace_ns{1'000'000'000};

std::int64_t clamped_ns(std::chrono::nanoseconds d) {
  return d.count() < 0 ? 0 : static_cast<std::int64_t>(d.count());
}

}  // namespace

void set_exit_policy(const exit_policy& policy) noexcept {
  g_join_timeout_ns.store(policy.join_timeout ? clamped_ns(*policy.join_timeout)
                                              : -1);
  g_terminate_grace_ns.store(clamped_ns(policy.terminate_grace));
}

exit_policy get_exit_policy() noexcept {
  exit_policy policy;
  const std::int64_t timeout = g_join_timeout_ns.load();
  if (timeout >= 0) policy.join_timeout = std::chrono::nanoseconds(timeout);
  policy.terminate_grace =
      std::chrono::nanoseconds(g_terminate_grace_ns.load());
  return policy;
}

}  // namespace multiproc::inline v0
