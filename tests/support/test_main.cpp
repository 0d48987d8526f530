// main() for every test binary: the start-method guard, then GoogleTest
// plus the zombie and fd guard.
#include <gtest/gtest.h>

#include <multiproc/start_method.hpp>

#include "support/leak_guard.hpp"

int main(int argc, char** argv) {
  // The guard: a copy of this binary started by spawn becomes its child
  // here, before GoogleTest parses the arguments it shares with its parent.
  multiproc::detail::serve_if_started_by_exec();
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::UnitTest::GetInstance()->listeners().Append(
      new multiproc::testing::leak_guard);
  return RUN_ALL_TESTS();
}
