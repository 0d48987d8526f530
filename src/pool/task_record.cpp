#include "multiproc/detail/task_record.hpp"

namespace multiproc::inline v0::detail {

bool task_record::wait_until(
    std::optional<std::chrono::steady_clock::time_point> deadline) const {
  std::unique_lock lock(mutex);
  auto is_set = [this] { return outcome != task_outcome::pending; };
  if (!deadline) {
    done.wait(lock, is_set);
    return true;
  }
  return done.wait_until(lock, *deadline, is_set);
}

}  // namespace multiproc::inline v0::detail
