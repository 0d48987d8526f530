// async and call under spawn and forkserver (API.md Part 5, "async and
// pools"): Part 2's
// outcomes unchanged — values, exceptions as their registered type,
// timeouts, cancel(), a crash as process_died — and the refusals of a
// target that cannot travel. A spawned child is a fresh copy of this test
// binary (the guard is in the shared test main); a forkserver child is a
// fork of such a copy.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <multiproc/multiproc.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/timing.hpp"

namespace mp = multiproc;
using multiproc::testing::late_bound;
using namespace std::chrono_literals;

namespace {

struct parse_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int g_set_by_parent = 0;  // a spawned child sees its initial value, 0

int square(int x) { return x * x; }
int read_global() { return g_set_by_parent; }
int own_pid() { return static_cast<int>(::getpid()); }
std::vector<int> count_up(int n) {
  std::vector<int> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = i;
  return out;
}
int throw_parse_error(std::string text) {
  mp::register_exception<parse_error>();
  throw parse_error(text);
}
int sleep_long() {
  std::this_thread::sleep_for(60s);
  return 0;
}
int crash() {
  ::raise(SIGKILL);
  return 0;
}
std::string my_name() { return mp::current_process().name(); }

mp::async_options options_for(mp::start_method method) {
  mp::async_options options;
  options.start_method = method;
  return options;
}

std::string target_refusal(mp::start_method method) {
  return "the '" + std::string(mp::to_string(method)) +
         "' start method cannot send this target: use a function "
         "pointer, a captureless lambda or an empty function object, with "
         "arguments multiproc::codec can transfer";
}

std::string method_name(
    const ::testing::TestParamInfo<mp::start_method>& method) {
  return std::string(mp::to_string(method.param));
}

// Every test below runs under spawn and under forkserver.
class StartAsync : public ::testing::TestWithParam<mp::start_method> {};

TEST_P(StartAsync, ValueComesBackFromTheChild) {
  EXPECT_EQ(mp::call(options_for(GetParam()), square, 7), 49);
  auto f = mp::async(
      options_for(GetParam()), [](int a, int b) { return a + b; }, 2, 3);
  EXPECT_EQ(f.get(), 5);
}

TEST_P(StartAsync, ChildIsAFreshCopyNotAFork) {
  g_set_by_parent = 42;  // a fork would see it
  EXPECT_EQ(mp::call(options_for(GetParam()), read_global), 0);
  EXPECT_NE(mp::call(options_for(GetParam()), own_pid),
            static_cast<int>(::getpid()));
  g_set_by_parent = 0;
}

TEST_P(StartAsync, LargeResultTravelsThroughTheMemfd) {
  const std::vector<int> values =
      mp::call(options_for(GetParam()), count_up, 300000);
  ASSERT_EQ(values.size(), 300000U);
  EXPECT_EQ(values.back(), 299999);
}

TEST_P(StartAsync, RegisteredExceptionComesBackAsItsType) {
  mp::register_exception<parse_error>();
  try {
    mp::call(options_for(GetParam()), throw_parse_error,
             std::string("bad input"));
    ADD_FAILURE() << "no exception";
  } catch (const parse_error& e) {
    EXPECT_STREQ(e.what(), "bad input");
  }
}

TEST_P(StartAsync, TimeoutKillsTheChild) {
  mp::async_options options = options_for(GetParam());
  options.timeout = 200ms;
  auto f = mp::async(options, sleep_long);
  EXPECT_THROW(f.get(), mp::timeout_error);
}

TEST_P(StartAsync, CancelKillsTheChild) {
  auto f = mp::async(options_for(GetParam()), sleep_long);
  EXPECT_TRUE(f.cancel());
  EXPECT_THROW(f.get(), mp::cancelled_error);
}

TEST_P(StartAsync, CrashIsProcessDied) {
  auto f = mp::async(options_for(GetParam()), crash);
  try {
    f.get();
    ADD_FAILURE() << "no exception";
  } catch (const mp::process_died& e) {
    EXPECT_EQ(e.exitcode(), -SIGKILL);
  }
}

TEST_P(StartAsync, NonPortableTargetIsRefusedAtTheCall) {
  int captured = 3;
  try {
    mp::async(options_for(GetParam()), [captured] { return captured; });
    ADD_FAILURE() << "no exception";
  } catch (const mp::usage_error& e) {
    EXPECT_EQ(e.what(), target_refusal(GetParam()));
  }
  // An argument the codec cannot carry (a pointer) is refused the same way.
  try {
    mp::call(
        options_for(GetParam()), [](const int* p) { return *p; }, &captured);
    ADD_FAILURE() << "no exception";
  } catch (const mp::usage_error& e) {
    EXPECT_EQ(e.what(), target_refusal(GetParam()));
  }
  EXPECT_TRUE(mp::active_children().empty());
}

TEST_P(StartAsync, ContextFactoriesUseTheContextsMethod) {
  const mp::context chosen = mp::get_context(GetParam());
  g_set_by_parent = 5;
  EXPECT_EQ(chosen.call(read_global), 0);
  EXPECT_EQ(chosen.async(square, 4).get(), 16);
  mp::async_options named;
  named.name = "squarer";
  EXPECT_EQ(chosen.call(named, my_name), "squarer");
  // A fork context runs portable targets by fork: the global is seen.
  EXPECT_EQ(mp::get_context(mp::start_method::fork).call(read_global), 5);
  g_set_by_parent = 0;
}

INSTANTIATE_TEST_SUITE_P(ByMethod, StartAsync,
                         ::testing::Values(mp::start_method::spawn,
                                           mp::start_method::forkserver),
                         method_name);

}  // namespace
