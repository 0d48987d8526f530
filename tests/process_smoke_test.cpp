#include <gtest/gtest.h>

#include <multiproc/multiproc.hpp>

namespace mp = multiproc;

TEST(ProcessSmoke, StartJoinReportsZero) {
  mp::process p([] {});
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}
