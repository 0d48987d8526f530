// A pool belongs to the process that built it (issue 9, bug 6): a forked
// child that captured it gets usage_error from every use, and never waits
// for or signals the parent's workers, even when it destroys its copy.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>
#include <set>
#include <stdexcept>
#include <string>

#include "support/child_io.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

using multiproc::testing::with_processes;

int echo(int x) { return x; }
pid_t worker_pid(int) { return ::getpid(); }

constexpr const char* kMessage =
    "can only use a pool created by current process";

// Runs `use` in a child; the child's exit code says what happened:
// 0 usage_error with the expected message, 2 another message, 3 no error.
template <class Use>
int in_child(Use use) {
  mp::process child([use] {
    try {
      use();
    } catch (const mp::usage_error& e) {
      ::_exit(std::string(e.what()) == kMessage ? 0 : 2);
    }
    ::_exit(3);
  });
  child.start();
  if (!child.join(30s)) {
    child.kill();
    child.join();
    return -1;  // it hung
  }
  return *child.exitcode();
}

std::set<pid_t> worker_pids(mp::pool& workers) {
  std::set<pid_t> pids;
  for (int i = 0; i < 20; ++i) pids.insert(workers.apply(worker_pid, i));
  return pids;
}

}  // namespace

TEST(PoolOwnership, EveryUseFromAForkedChildIsRefused) {
  mp::pool workers(with_processes(2));
  EXPECT_EQ(in_child([&] { workers.apply(echo, 1); }), 0);
  EXPECT_EQ(in_child([&] { workers.submit(echo, 1); }), 0);
  EXPECT_EQ(in_child([&] { workers.map(echo, std::vector{1, 2}); }), 0);
  EXPECT_EQ(in_child([&] { workers.close(); }), 0);
  EXPECT_EQ(in_child([&] { workers.join(); }), 0);
  EXPECT_EQ(in_child([&] { workers.terminate(); }), 0);
  // The parent's pool is untouched.
  EXPECT_EQ(workers.apply(echo, 7), 7);
}

TEST(PoolOwnership, AChildNeverSignalsTheParentsWorkers) {
  mp::pool workers(with_processes(2));
  const std::set<pid_t> before = worker_pids(workers);
  EXPECT_EQ(in_child([&] { workers.terminate(); }), 0);
  EXPECT_EQ(worker_pids(workers), before);
}

TEST(PoolOwnership, AFutureIsRefusedInAChild) {
  mp::pool workers(with_processes(1));
  auto slow = workers.submit([] {
    ::usleep(300'000);
    return 1;
  });
  EXPECT_EQ(in_child([&] { slow.get(); }), 0);
  EXPECT_EQ(in_child([&] { slow.cancel(); }), 0);
  EXPECT_EQ(slow.get(), 1);
}

TEST(PoolOwnership, AChildDestroyingItsCopyLeavesTheWorkersAlone) {
  auto workers = std::make_unique<mp::pool>(with_processes(2));
  const std::set<pid_t> before = worker_pids(*workers);
  mp::process child([&workers] {
    workers.reset();  // the child's copy: must neither hang nor signal
    ::_exit(0);
  });
  child.start();
  ASSERT_TRUE(child.join(30s)) << "destroying the copy hung";
  EXPECT_EQ(child.exitcode(), 0);
  EXPECT_EQ(worker_pids(*workers), before);
}
