// Every row of API.md's misuse table: usage_error with Python's exact
// message, never compiled out. Spec §7 cases 15, 16, 42–46.
#include <gtest/gtest.h>
#include <signal.h>

#include <functional>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>

#include "support/child_io.hpp"
#include "support/leak_guard.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

// The message of the usage_error `action` throws, or a note that it threw
// something else or nothing.
std::string usage_message(const std::function<void()>& action) {
  try {
    action();
  } catch (const mp::usage_error& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("other exception: ") + e.what();
  }
  return "no exception";
}

// spec §7 case 42: start() a second time, while running and after the end;
// no second child is made.
TEST(ProcessMisuse, StartingTwiceThrowsWhileRunningAndAfterTheEnd) {
  mp::process p([] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{p};
  p.start();
  pid_t first = *p.pid();
  EXPECT_EQ(usage_message([&] { p.start(); }), "cannot start a process twice");
  EXPECT_EQ(mp::active_children().size(), 1U);
  p.kill();
  p.join();
  EXPECT_EQ(usage_message([&] { p.start(); }), "cannot start a process twice");
  EXPECT_EQ(p.pid(), first);
  EXPECT_TRUE(mp::active_children().empty());
}

// spec §7 case 43
TEST(ProcessMisuse, JoinBeforeStartThrows) {
  mp::process p([] {});
  EXPECT_EQ(usage_message([&] { p.join(); }),
            "can only join a started process");
  EXPECT_EQ(usage_message([&] { (void)p.join(1s); }),
            "can only join a started process");
}

// spec §7 case 44: joining the current process, in main and in a child.
TEST(ProcessMisuse, JoiningTheCurrentProcessThrows) {
  EXPECT_EQ(usage_message([] { mp::current_process().join(); }),
            "can only join a child process");
  auto report = mpt::run_in_child(
      [] { return usage_message([] { mp::current_process().join(); }); });
  EXPECT_EQ(report.text, "can only join a child process");
  EXPECT_EQ(report.exitcode, 0);
}

// spec §7 case 44: join / is_alive on an object created by another process
// (a sibling inherited through fork); its exitcode() is empty there.
TEST(ProcessMisuse, ObjectsFromAnotherProcessCannotBeJoinedOrTested) {
  mp::process sibling([] {});
  sibling.start();
  sibling.join();
  auto report = mpt::run_in_child([sibling]() mutable {
    std::string text = usage_message([&] { sibling.join(); }) + "|" +
                       usage_message([&] { (void)sibling.is_alive(); }) + "|" +
                       (sibling.exitcode() ? "code" : "empty");
    return text;
  });
  EXPECT_EQ(report.text,
            "can only join a child process|can only test a child process|"
            "empty");
  // The main process object seen from a child is also not testable there.
  mp::process main_object = mp::current_process();
  auto from_child = mpt::run_in_child([main_object] {
    return usage_message([&] { (void)main_object.is_alive(); });
  });
  EXPECT_EQ(from_child.text, "can only test a child process");
}

// API.md table: start() of an object inherited from another process.
TEST(ProcessMisuse, StartingAnInheritedObjectThrows) {
  mp::process unstarted([] {});
  auto report = mpt::run_in_child([unstarted]() mutable {
    return usage_message([&] { unstarted.start(); });
  });
  EXPECT_EQ(report.text,
            "can only start a process object created by current process");
  EXPECT_EQ(report.exitcode, 0);
}

// spec §7 case 45: the error is raised inside the daemon child; uncaught it
// ends the child with 1, caught it leaves 0.
TEST(ProcessMisuse, DaemonChildCannotStartChildren) {
  mpt::pipe_pair out;
  mp::process daemon(mpt::daemonic(true), [&] {
    out.close_read();
    mpt::write_all(out.write_end(),
                   usage_message([] { mp::process([] {}).start(); }));
  });
  daemon.start();
  out.close_write();
  EXPECT_EQ(mpt::read_all(out.read_end()),
            "daemonic processes are not allowed to have children");
  daemon.join();
  EXPECT_EQ(daemon.exitcode(), 0);

  mp::process uncaught(mpt::daemonic(true), [] { mp::process([] {}).start(); });
  uncaught.start();
  uncaught.join();
  EXPECT_EQ(uncaught.exitcode(), 1);
}

// spec §7 case 46. Adapted: C++ has no `group` argument, so only the daemon
// half applies.
TEST(ProcessMisuse, SetDaemonAfterStartThrows) {
  mp::process p([] {});
  p.set_daemon(true);  // fine before start
  EXPECT_TRUE(p.daemon());
  p.set_daemon(false);
  p.start();
  EXPECT_EQ(usage_message([&] { p.set_daemon(true); }),
            "process has already started");
  p.join();
  EXPECT_EQ(usage_message([&] { p.set_daemon(true); }),
            "process has already started");
  EXPECT_FALSE(p.daemon());
}

// spec §7 case 15 (first part); also the main process has no sentinel.
TEST(ProcessMisuse, SentinelBeforeStartThrows) {
  mp::process p;
  EXPECT_EQ(usage_message([&] { (void)p.sentinel(); }), "process not started");
  EXPECT_EQ(usage_message([] { (void)mp::current_process().sentinel(); }),
            "process not started");
}

// spec §7 case 16: after close() everything but name and daemon throws.
TEST(ProcessMisuse, EveryUseButNameAndDaemonThrowsAfterClose) {
  mp::process p(mpt::named("closed-one"), [] {});
  p.start();
  p.join();
  p.close();
  const std::string closed = "process object is closed";
  EXPECT_EQ(usage_message([&] { p.start(); }), closed);
  EXPECT_EQ(usage_message([&] { p.join(); }), closed);
  EXPECT_EQ(usage_message([&] { (void)p.join(1s); }), closed);
  EXPECT_EQ(usage_message(
                [&] { (void)p.join_until(std::chrono::steady_clock::now()); }),
            closed);
  EXPECT_EQ(usage_message([&] { (void)p.is_alive(); }), closed);
  EXPECT_EQ(usage_message([&] { (void)p.exitcode(); }), closed);
  EXPECT_EQ(usage_message([&] { (void)p.pid(); }), closed);
  EXPECT_EQ(usage_message([&] { (void)p.sentinel(); }), closed);
  EXPECT_EQ(usage_message([&] { p.terminate(); }), closed);
  EXPECT_EQ(usage_message([&] { p.kill(); }), closed);
  EXPECT_EQ(usage_message([&] { p.interrupt(); }), closed);
  EXPECT_EQ(p.name(), "closed-one");
  EXPECT_FALSE(p.daemon());
  EXPECT_EQ(usage_message([&] { p.close(); }), "no exception");  // idempotent
}

// close() before start() is allowed; start() is then refused.
TEST(ProcessMisuse, CloseBeforeStartForbidsStart) {
  mp::process p([] {});
  p.close();
  EXPECT_EQ(usage_message([&] { p.start(); }), "process object is closed");
}

// API.md table: close() while running.
TEST(ProcessMisuse, CloseWhileRunningThrowsAndKeepsTheHandle) {
  mp::process p([] { std::this_thread::sleep_for(100s); });
  mpt::kill_on_exit guard{p};
  p.start();
  EXPECT_EQ(usage_message([&] { p.close(); }),
            "Cannot close a process while it is still running. You should "
            "first call join() or terminate().");
  EXPECT_TRUE(p.is_alive());
  p.terminate();
  p.join();
  p.close();
}

// close() works on an ended but unjoined child: it reaps it.
TEST(ProcessMisuse, CloseReapsAnEndedUnjoinedChild) {
  mp::process p([] {});
  p.start();
  std::vector<mp::process> one{p};
  ASSERT_EQ(mp::wait(one, 60s).size(), 1U);
  p.close();
  EXPECT_EQ(mpt::find_zombie_child(), 0);
}

// Signalling before start() is misuse too (Python fails with an
// AttributeError there; we give a usage_error).
TEST(ProcessMisuse, SignallingBeforeStartThrows) {
  mp::process p;
  EXPECT_EQ(usage_message([&] { p.terminate(); }), "process not started");
  EXPECT_EQ(usage_message([&] { p.kill(); }), "process not started");
  EXPECT_EQ(usage_message([&] { p.interrupt(); }), "process not started");
}

}  // namespace
