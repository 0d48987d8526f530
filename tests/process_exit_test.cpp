// How a child ends: exit codes, multiproc::exit, uncaught exceptions and
// their stderr text, flushing, and the child's own exit steps. Spec §7
// cases 25, 26, 27, 49, 50.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <stdexcept>
#include <string>
#include <thread>

#include "support/child_io.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

// The child's exit code after running `body`.
template <class F>
std::optional<int> exitcode_of(F body) {
  mp::process p(body);
  p.start();
  p.join();
  return p.exitcode();
}

// Starts `p`, whose child sends its stderr to `err`, and returns what it
// wrote once it has ended.
std::string stderr_of(mp::process& p, mpt::pipe_pair& err) {
  p.start();
  err.close_write();
  std::string text = mpt::read_all(err.read_end());
  p.join();
  return text;
}

TEST(ProcessExit, ReturningFromRunGivesZero) {
  EXPECT_EQ(exitcode_of([] {}), 0);
}

// spec §7 case 49: exit codes are reported as the OS keeps them, code & 0xFF.
TEST(ProcessExit, ExitCodesAreTheLowByte) {
  EXPECT_EQ(exitcode_of([] { mp::exit(256); }), 0);
  EXPECT_EQ(exitcode_of([] { mp::exit(257); }), 1);
  EXPECT_EQ(exitcode_of([] { mp::exit(-1); }), 255);
  EXPECT_EQ(exitcode_of([] { mp::exit(-15); }), 241);
}

// spec §7 case 49: _exit(7) (Python's os._exit) is reported as is.
TEST(ProcessExit, UnderscoreExitCodeIsReported) {
  EXPECT_EQ(exitcode_of([] { ::_exit(7); }), 7);
}

// spec §7 case 49: a self-inflicted SIGSEGV is -11. The child restores the
// default action (sanitizers install their own) and disables core dumps.
TEST(ProcessExit, SelfSigsegvGivesMinusEleven) {
  EXPECT_EQ(exitcode_of([] {
              rlimit no_core{0, 0};
              ::setrlimit(RLIMIT_CORE, &no_core);
              struct sigaction dfl {};
              dfl.sa_handler = SIG_DFL;
              ::sigaction(SIGSEGV, &dfl, nullptr);
              ::raise(SIGSEGV);
              ::_exit(99);
            }),
            -SIGSEGV);
}

// spec §7 case 27. Adapted: Python's sys.exit(True/False/8/None/no
// argument); in C++ bool converts to int and "no argument" is returning.
TEST(ProcessExit, BoolAndPlainCodes) {
  EXPECT_EQ(exitcode_of([] { mp::exit(true); }), 1);
  EXPECT_EQ(exitcode_of([] { mp::exit(false); }), 0);
  EXPECT_EQ(exitcode_of([] { mp::exit(8); }), 8);
  EXPECT_EQ(exitcode_of([] { return; }), 0);
}

// spec §7 case 26. Adapted: C++'s exit takes only an int, so there is no
// "sys.exit('message')". What carries over: exit is not an error, so it
// unwinds the stack (destructors run) and prints no "Process ...:" header,
// and a catch (const std::exception&) in user code does not swallow it.
TEST(ProcessExit, ExitUnwindsWithoutAnErrorReport) {
  mpt::pipe_pair err;
  mpt::shared<std::atomic<int>> unwound;
  mp::process p([&] {
    err.close_read();
    mpt::redirect_stderr_to(err.write_end());
    struct on_unwind {
      std::atomic<int>* flag;
      ~on_unwind() { *flag = 1; }
    } guard{&*unwound};
    try {
      mp::exit(4);
    } catch (const std::exception&) {
      mp::exit(50);  // must not be reached
    }
  });
  std::string text = stderr_of(p, err);
  EXPECT_EQ(p.exitcode(), 4);
  EXPECT_EQ(unwound->load(), 1);
  EXPECT_EQ(text, "");
}

// spec §7 case 50 and API.md: exit code 1, and stderr holds Python's header
// line followed by the demangled type and what().
TEST(ProcessExit, UncaughtExceptionWritesHeaderTypeAndMessage) {
  mpt::pipe_pair err;
  mp::process p([&] {
    err.close_read();
    mpt::redirect_stderr_to(err.write_end());
    throw std::runtime_error("Something bad happened");
  });
  std::string text = stderr_of(p, err);
  EXPECT_EQ(p.exitcode(), 1);
  EXPECT_EQ(text, "Process " + p.name() +
                      ":\nstd::runtime_error: Something bad happened\n");
}

// API.md: any thrown type is named, not only std::exception.
struct custom_failure {
  int code;
};

TEST(ProcessExit, NonStandardExceptionTypesAreNamed) {
  for (int variant = 0; variant < 2; ++variant) {
    mpt::pipe_pair err;
    mp::process p(mpt::named("Thrower"), [&, variant] {
      err.close_read();
      mpt::redirect_stderr_to(err.write_end());
      if (variant == 0) throw 42;
      throw custom_failure{1};
    });
    std::string text = stderr_of(p, err);
    EXPECT_EQ(p.exitcode(), 1);
    std::string type =
        variant == 0 ? "int" : "(anonymous namespace)::custom_failure";
    EXPECT_EQ(text, "Process Thrower:\n" + type + "\n");
  }
}

// The header uses the name the child has when it fails (a name set in the
// child, as Python's traceback header does).
TEST(ProcessExit, ErrorHeaderUsesTheChildsCurrentName) {
  mpt::pipe_pair err;
  mp::process p([&] {
    err.close_read();
    mpt::redirect_stderr_to(err.write_end());
    mp::current_process().set_name("renamed-in-child");
    throw std::logic_error("bad");
  });
  std::string text = stderr_of(p, err);
  EXPECT_EQ(text, "Process renamed-in-child:\nstd::logic_error: bad\n");
}

// spec §7 case 25. Adapted: Python checks the traceback; we check the
// header, type and message reach a file the child redirected stderr to.
TEST(ProcessExit, ErrorReportReachesAStderrFileTheChildOpened) {
  int file = ::open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  ASSERT_GE(file, 0);
  mp::process p(mpt::named("FileWriter"), [file] {
    mpt::redirect_stderr_to(file);
    std::fputs("partial line without newline ", stderr);
    throw std::out_of_range("index 3");
  });
  p.start();
  p.join();
  EXPECT_EQ(p.exitcode(), 1);
  char buffer[512] = {};
  ssize_t n = ::pread(file, buffer, sizeof buffer - 1, 0);
  ::close(file);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(n)),
            "partial line without newline Process FileWriter:\n"
            "std::out_of_range: index 3\n");
}

// spec §2.3: output without a trailing newline is flushed when the child
// ends (stdio and iostreams).
TEST(ProcessExit, BufferedOutputIsFlushedAtTheEnd) {
  mpt::pipe_pair out;
  mp::process p([&] {
    out.close_read();
    std::fflush(stdout);
    ::dup2(out.write_end(), STDOUT_FILENO);
    std::setvbuf(stdout, nullptr, _IOFBF, 1 << 16);
    std::fputs("stdio-no-newline;", stdout);
    std::cout << "iostream-no-newline";
  });
  p.start();
  out.close_write();
  EXPECT_EQ(mpt::read_all(out.read_end()),
            "stdio-no-newline;iostream-no-newline");
  p.join();
  EXPECT_EQ(p.exitcode(), 0);
}

// API.md: multiproc::exit from a thread other than the one running run()
// ends the whole child with that code.
TEST(ProcessExit, ExitFromAnotherThreadEndsTheWholeChild) {
  mp::process p([] {
    std::thread([] { mp::exit(9); }).detach();
    std::this_thread::sleep_for(100s);
  });
  mpt::kill_on_exit guard{p};
  p.start();
  EXPECT_TRUE(p.join(60s));
  EXPECT_EQ(p.exitcode(), 9);
}

// API.md "The child ends": before leaving, a child joins its non-daemon
// children and terminates its daemon children.
TEST(ProcessExit, ChildJoinsItsChildrenAndTerminatesItsDaemons) {
  mpt::shared<std::atomic<int>> finished;
  mp::process p([&] {
    mp::process worker([&] {
      std::this_thread::sleep_for(300ms);
      *finished = 1;
    });
    mp::process daemon(mpt::daemonic(true),
                       [] { std::this_thread::sleep_for(100s); });
    worker.start();
    daemon.start();
  });
  mpt::kill_on_exit guard{p};
  p.start();
  EXPECT_TRUE(p.join(60s));  // not 100 s: the daemon was terminated
  EXPECT_EQ(p.exitcode(), 0);
  EXPECT_EQ(finished->load(), 1);  // the worker was joined first
}

// std::exit in a child runs exit handlers against the child's own children,
// never the parent's: the parent's other child is neither joined nor
// terminated.
TEST(ProcessExit, StdExitInChildLeavesTheParentsOtherChildrenAlone) {
  mpt::pipe_pair release;
  mp::process sibling(mpt::daemonic(true), [&] {
    release.close_write();
    mpt::block_until_released(release.read_end());
  });
  mpt::kill_on_exit guard{sibling};
  sibling.start();
  release.close_read();
  mp::process quitter([] { std::exit(5); });
  quitter.start();
  EXPECT_TRUE(quitter.join(60s));
  EXPECT_EQ(quitter.exitcode(), 5);
  EXPECT_TRUE(sibling.is_alive());  // not terminated as a daemon either
  release.close_write();
  sibling.join();
  EXPECT_EQ(sibling.exitcode(), 0);
}

}  // namespace
