// main() for every test binary: GoogleTest plus the zombie and fd guard.
#include <gtest/gtest.h>

#include "support/leak_guard.hpp"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::UnitTest::GetInstance()->listeners().Append(
      new multiproc::testing::leak_guard);
  return RUN_ALL_TESTS();
}
