// Starting a fresh copy of this program with posix_spawn: what the spawn
// start method (spawn_launcher.cpp) and a forkserver's own start
// (forkserver_client.cpp) share. Each sets up its own fds and attributes;
// the program, its arguments, its environment and the handle are common.
#pragma once

#include <spawn.h>

#include <memory>
#include <string>

#include "launch/child_handle.hpp"

namespace multiproc::inline v0::detail {

/// posix_spawn's file actions, destroyed once made (made after init()).
struct spawn_file_actions {
  posix_spawn_file_actions_t value;
  bool made = false;
  ~spawn_file_actions() {
    if (made) ::posix_spawn_file_actions_destroy(&value);
  }
};

/// posix_spawn's attributes, destroyed once made (made after init()).
struct spawn_attributes {
  posix_spawnattr_t value;
  bool made = false;
  ~spawn_attributes() {
    if (made) ::posix_spawnattr_destroy(&value);
  }
};

/// posix_spawn of /proc/self/exe with the program's own arguments and its
/// environment, in which kExecMarker is `marker` (a stale marker from the
/// program's own start is replaced): the marker tells the copy what it is.
/// The copy is held in `out` as this process's kernel child. Returns 0 or
/// an errno value; on failure nothing is left running.
int spawn_self(const spawn_file_actions& actions,
               const spawn_attributes& attributes, const std::string& marker,
               std::unique_ptr<child_handle>& out) noexcept;

}  // namespace multiproc::inline v0::detail
