// Fails any test that leaves a zombie child or a leaked file descriptor.
//
// Installed by tests/support/test_main.cpp as a GoogleTest event listener,
// so every test in every test binary is checked without opting in.
#pragma once

#include <gtest/gtest.h>

namespace multiproc::testing {

/// Number of open file descriptors of this process (/proc/self/fd).
int open_fd_count();

/// Pid of an ended, unreaped child of this process, or 0 if there is none.
/// Does not reap it (waitid WNOWAIT).
int find_zombie_child();

class leak_guard : public ::testing::EmptyTestEventListener {
 public:
  void OnTestStart(const ::testing::TestInfo& info) override;
  void OnTestEnd(const ::testing::TestInfo& info) override;

 private:
  int fds_at_start_ = 0;
  bool forkserver_at_start_ = false;
};

}  // namespace multiproc::testing
