// Shared by the sync_*_test binaries: children that take an object and
// then wait to be killed, and the arena mapped before the first test.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>

#include "support/child_io.hpp"

namespace multiproc::testing {

/// Maps the shared arena (and claims this process's participant slot in
/// the main thread) before the leak guard first counts descriptors: the
/// arena's one memfd is opened once per program and stays open by design
/// (Part 5 passes it on), so it must not read as a test's leak.
class sync_arena_environment : public ::testing::Environment {
 public:
  void SetUp() override { multiproc::lock warm_up; }
};

inline const auto* const g_sync_arena_environment =
    ::testing::AddGlobalTestEnvironment(new sync_arena_environment);

/// What `fn` threw as a usage_error, or "(no error)": for comparing with
/// Python's messages.
template <class F>
std::string usage_message(F fn) {
  try {
    fn();
  } catch (const usage_error& e) {
    return e.what();
  }
  return "(no error)";
}

/// Starts a child that runs `take` (which takes some object), says "held"
/// and then sleeps until killed or released by `release`'s write end
/// closing; returns once the child holds it. `then` runs after the release
/// (for "returns from its target while holding").
template <class Take>
process start_holder(Take take, pipe_pair& release) {
  pipe_pair ready;
  process child([take, &ready, &release]() mutable {
    ready.close_read();
    release.close_write();
    take();
    write_all(ready.write_end(), "held\n");
    block_until_released(release.read_end());
  });
  child.start();
  ready.close_write();
  const auto line = read_line(ready.read_end());
  EXPECT_EQ(line.value_or("(nothing)"), "held");
  return child;
}

/// Kills `child` with SIGKILL and reaps it.
inline void kill_and_reap(process& child) {
  child.kill();
  child.join();
  EXPECT_EQ(child.exitcode(), -SIGKILL);
}

}  // namespace multiproc::testing
