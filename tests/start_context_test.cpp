// get_context() and a context's process factory (API.md Part 5).
#include <gtest/gtest.h>

#include <multiproc/multiproc.hpp>
#include <string>

namespace mp = multiproc;

namespace {

void exit_with(int code) { mp::exit(code); }

// 0 when the child's own name is `name`.
void check_name(std::string name) {
  mp::exit(mp::current_process().name() == name ? 0 : 1);
}

TEST(StartContext, DefaultContextIsTheDefaultMethod) {
  EXPECT_EQ(mp::get_context().start_method(), mp::start_method::fork);
  mp::set_start_method(mp::start_method::spawn);
  EXPECT_EQ(mp::get_context().start_method(), mp::start_method::spawn);
}

TEST(StartContext, ForkServerProcessIsNamedAndRunsUnderForkserver) {
  const mp::context ctx = mp::get_context(mp::start_method::forkserver);
  EXPECT_EQ(ctx.start_method(), mp::start_method::forkserver);
  mp::process p = ctx.process(check_name, std::string("ForkServerProcess-1"));
  EXPECT_EQ(p.name(), "ForkServerProcess-1");
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

TEST(StartContext, SpawnProcessIsNamedAndRunsUnderSpawn) {
  const mp::context ctx = mp::get_context(mp::start_method::spawn);
  EXPECT_EQ(ctx.start_method(), mp::start_method::spawn);
  mp::process p = ctx.process(check_name, std::string("SpawnProcess-1"));
  EXPECT_EQ(p.name(), "SpawnProcess-1");
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

TEST(StartContext, ForkProcessNamesShareTheCounter) {
  mp::process plain(exit_with, 0);
  const mp::context ctx = mp::get_context(mp::start_method::fork);
  mp::process p = ctx.process(exit_with, 4);
  EXPECT_EQ(plain.name(), "Process-1");
  EXPECT_EQ(p.name(), "ForkProcess-2");
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 4);
}

TEST(StartContext, GivenNameIsKept) {
  mp::process_options options;
  options.name = "mine";
  mp::process p = mp::get_context(mp::start_method::spawn)
                      .process(options, check_name, std::string("mine"));
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

}  // namespace
