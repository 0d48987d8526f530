// Runs tests/helpers/process_helper (built by CMake; its path is the
// MULTIPROC_TEST_HELPER definition), or another helper program, and collects
// its output, exit status and wall time.
#pragma once

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <string>

#include "support/child_io.hpp"
#include "support/timing.hpp"

extern char** environ;

namespace multiproc::testing {

struct helper_result {
  int status = -1;  // raw waitpid status
  std::string output;
  std::chrono::milliseconds elapsed{};
};

/// Runs the program at `path` with `mode` as its one argument (none when
/// empty).
inline helper_result run_helper_at(std::string path, const std::string& mode) {
  helper_result result;
  pipe_pair out;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out.write_end(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out.write_end(), STDERR_FILENO);
  char* argv[] = {path.data(),
                  mode.empty() ? nullptr : const_cast<char*>(mode.c_str()),
                  nullptr};
  stopwatch clock;
  pid_t pid = 0;
  int err = posix_spawn(&pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) return result;
  out.close_write();
  result.output = read_all(out.read_end(), std::chrono::seconds(100));
  while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
  }
  result.elapsed = clock.elapsed();
  return result;
}

#ifdef MULTIPROC_TEST_HELPER
inline helper_result run_helper(const std::string& mode) {
  return run_helper_at(MULTIPROC_TEST_HELPER, mode);
}
#endif

}  // namespace multiproc::testing
