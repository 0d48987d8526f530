#include "support/leak_guard.hpp"

#include <dirent.h>
#include <sys/wait.h>

#include "launch/forkserver_client.hpp"

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

// The process's forkserver, once started, lives as long as the process and
// holds two of its fds (its socket and its pidfd): a test that started it
// has not leaked them.
constexpr int kForkserverFds = 2;

void leak_guard::OnTestStart(const ::testing::TestInfo&) {
  forkserver_at_start_ = multiproc::detail::forkserver_pid() != 0;
  fds_at_start_ = open_fd_count();
}

void leak_guard::OnTestEnd(const ::testing::TestInfo& info) {
  if (info.result() != nullptr && info.result()->Skipped()) return;
  int zombie = find_zombie_child();
  EXPECT_EQ(zombie, 0) << "test left an unreaped child (pid " << zombie << ")";
  int expected = fds_at_start_;
  if (!forkserver_at_start_ && multiproc::detail::forkserver_pid() != 0) {
    expected += kForkserverFds;
  }
  EXPECT_EQ(open_fd_count(), expected) << "test leaked file descriptors";
}

}  // namespace multiproc::testing
