#include "support/leak_guard.hpp"

#include <dirent.h>
#include <sys/wait.h>

namespace multiproc::testing {

int open_fd_count() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int count = 0;
  while (::readdir(dir) != nullptr) ++count;
  ::closedir(dir);
  return count - 3;  // ".", ".." and the directory's own fd
}

int find_zombie_child() {
  siginfo_t info{};
  if (::waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0) return 0;
  return info.si_pid;
}

void leak_guard::OnTestStart(const ::testing::TestInfo&) {
  fds_at_start_ = open_fd_count();
}

void leak_guard::OnTestEnd(const ::testing::TestInfo& info) {
  if (info.result() != nullptr && info.result()->Skipped()) return;
  int zombie = find_zombie_child();
  EXPECT_EQ(zombie, 0) << "test left an unreaped child (pid " << zombie << ")";
  EXPECT_EQ(open_fd_count(), fds_at_start_) << "test leaked file descriptors";
}

}  // namespace multiproc::testing
