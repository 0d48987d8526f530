// A pool alive when the program ends finishes its submitted work first, as
// its destructor would, whether a global, a function-local static or a
// leaked pointer holds it (issue 9, bug 9). Each case runs in a fresh
// program, tests/helpers/pool_exit_helper.cpp.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <string>

#include "support/run_helper.hpp"
#include "support/timing.hpp"

using namespace std::chrono_literals;
using multiproc::testing::late_bound;
using multiproc::testing::run_helper;

namespace {

void expect_task_finished(const std::string& mode) {
  auto result = run_helper(mode);
  ASSERT_TRUE(WIFEXITED(result.status)) << result.output;
  EXPECT_EQ(WEXITSTATUS(result.status), 0) << result.output;
  EXPECT_EQ(result.output, "submitted\ntask done\n");
}

}  // namespace

TEST(PoolAtExit, AGlobalPoolFinishesItsWork) { expect_task_finished("global"); }

TEST(PoolAtExit, AFunctionLocalStaticPoolFinishesItsWork) {
  expect_task_finished("local_static");
}

TEST(PoolAtExit, ALeakedPoolFinishesItsWork) { expect_task_finished("leaked"); }

TEST(PoolAtExit, TheExitPolicyBoundsTheWait) {
  auto result = run_helper("bounded");
  ASSERT_TRUE(WIFEXITED(result.status)) << result.output;
  EXPECT_EQ(WEXITSTATUS(result.status), 0) << result.output;
  EXPECT_EQ(result.output, "submitted\n");
  EXPECT_LT(result.elapsed, late_bound(600ms));
}
