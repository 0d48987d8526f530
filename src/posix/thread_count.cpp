#include "posix/thread_count.hpp"

#include <dirent.h>

namespace multiproc::inline v0::detail {

int thread_count() noexcept {
  DIR* tasks = ::opendir("/proc/self/task");
  if (tasks == nullptr) return -1;
  int count = 0;
  while (const dirent* entry = ::readdir(tasks)) {
    if (entry->d_name[0] != '.') ++count;
  }
  ::closedir(tasks);
  return count;
}

}  // namespace multiproc::inline v0::detail
