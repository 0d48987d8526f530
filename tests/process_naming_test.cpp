// Default names, Python style: Process-N from a per-process counter consumed
// at construction, Parent:N for children of children, ClassName-N for
// subclasses. Spec §7 case 47.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <multiproc/multiproc.hpp>
#include <string>

#include "support/child_io.hpp"
#include "support/run_helper.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;

namespace {

// The counter value in a name "Prefix-N".
int counter_of(const std::string& name) {
  return std::stoi(name.substr(name.rfind('-') + 1));
}

// spec §7 case 47, exactly, from a fresh program: two top-level processes,
// each with two children (the second of which has a child); then a subclass
// and an empty name.
TEST(ProcessNaming, FreshProgramNamesFollowPython) {
  mpt::helper_result result = mpt::run_helper("names");
  ASSERT_TRUE(WIFEXITED(result.status)) << result.output;
  EXPECT_EQ(WEXITSTATUS(result.status), 0) << result.output;
  EXPECT_EQ(result.output,
            "Process-1 Process-2\n"
            "Process-1:1 Process-1:2\n"
            "Process-1:2:1\n"
            "Process-2:1 Process-2:2\n"
            "Process-2:2:1\n"
            "worker-3 Process-4\n");
}

// The counter is consumed at construction, not at start.
TEST(ProcessNaming, CounterIsConsumedAtConstruction) {
  mp::process a;
  mp::process b;
  mp::process c;
  EXPECT_EQ(c.name().substr(0, 8), "Process-");
  EXPECT_EQ(counter_of(b.name()), counter_of(a.name()) + 1);
  EXPECT_EQ(counter_of(c.name()), counter_of(a.name()) + 2);
}

// A child's counter restarts at 1 and its children are named under it.
TEST(ProcessNaming, ChildrenOfAChildAreNumberedUnderIt) {
  mp::process parent_probe;
  auto report = mpt::run_in_child([] {
    mp::process first;
    mp::process second;
    return mp::current_process().name() + "|" + first.name() + "|" +
           second.name();
  });
  std::string me =
      "Process-" + std::to_string(counter_of(parent_probe.name()) + 1);
  EXPECT_EQ(report.text, me + "|" + me + ":1|" + me + ":2");
}

class custom_worker : public mp::process {
 public:
  using mp::process::process;
  void run() override {}
};

// A subclass is named after its class; an empty name is generated.
TEST(ProcessNaming, SubclassAndEmptyNames) {
  custom_worker w;
  mp::process empty(mpt::named(""));
  EXPECT_EQ(w.name().substr(0, 14), "custom_worker-");
  EXPECT_EQ(empty.name().substr(0, 8), "Process-");
  EXPECT_EQ(counter_of(empty.name()), counter_of(w.name()) + 1);
  mp::process named(mpt::named("given"));
  EXPECT_EQ(named.name(), "given");
  named.set_name("");
  EXPECT_EQ(named.name().substr(0, 8), "Process-");  // generated again
}

// set_name() works after start(); the child keeps its own copy.
TEST(ProcessNaming, RenamingAfterStartDoesNotReachTheChild) {
  mpt::pipe_pair release, report;
  mp::process p(mpt::named("before"), [&] {
    release.close_write();
    report.close_read();
    mpt::block_until_released(release.read_end());
    mpt::write_all(report.write_end(), mp::current_process().name());
  });
  mpt::kill_on_exit guard{p};
  p.start();
  release.close_read();
  report.close_write();
  p.set_name("after");
  release.close_write();
  EXPECT_EQ(mpt::read_all(report.read_end()), "before");
  p.join();
  EXPECT_EQ(p.name(), "after");
}

}  // namespace
