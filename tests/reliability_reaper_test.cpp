// Fault matrix, "someone else reaps our children" (docs/RELIABILITY.md): a
// thread calling waitpid(-1) in a loop, or SIGCHLD set to SIG_IGN (the
// kernel reaps), takes the exit status of async() children and pool
// workers. Nothing hangs and nothing is "alive forever": futures get their
// result (the kernel keeps the status for pidfds since Linux 6.15; before
// that the child counts as ended with code 255, so get() may throw
// process_died(255) instead), a pool replaces its workers and closes.
//
// For plain processes see tests/process_join_test.cpp:
// ProcessJoin.ForeignWaitpidIsSeenAsEndedWithTheRealExitcode,
// ProcessJoin.ForeignReaperDoesNotStrandABlockedJoin,
// ProcessJoin.IgnoredSigchldStillReportsTheRealExitcode.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <multiproc/multiproc.hpp>
#include <thread>
#include <vector>

#include "support/child_io.hpp"
#include "support/leak_guard.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

int square(int x) { return x * x; }
int die_by_sigkill(int) {
  ::raise(SIGKILL);
  return 0;
}

// Reaps every child of this process as soon as it ends, until destroyed.
class foreign_reaper {
 public:
  foreign_reaper()
      : thread_([this] {
          while (!stop_.load()) {
            int status = 0;
            if (::waitpid(-1, &status, WNOHANG) <= 0) {
              std::this_thread::sleep_for(200us);
            }
          }
        }) {}
  foreign_reaper(const foreign_reaper&) = delete;
  foreign_reaper& operator=(const foreign_reaper&) = delete;
  ~foreign_reaper() {
    stop_.store(true);
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class ignored_sigchld {
 public:
  ignored_sigchld() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    ::sigaction(SIGCHLD, &ignore, &saved_);
  }
  ignored_sigchld(const ignored_sigchld&) = delete;
  ignored_sigchld& operator=(const ignored_sigchld&) = delete;
  ~ignored_sigchld() { ::sigaction(SIGCHLD, &saved_, nullptr); }

 private:
  struct sigaction saved_ {};
};

// The result, or process_died(255) where the kernel kept no status.
template <class R>
void expect_result_or_unknown_status(mp::future<R>& f, const R& expected) {
  ASSERT_EQ(f.wait_for(60s), std::future_status::ready) << "hangs";
  try {
    EXPECT_EQ(f.get(), expected);
  } catch (const mp::process_died& e) {
    EXPECT_EQ(e.exitcode(), 255) << e.what();
  }
}

TEST(ReliabilityReaper, AsyncChildReapedByAForeignWaitpid) {
  foreign_reaper reaper;
  for (int i = 0; i < 10; ++i) {
    auto f = mp::async(square, i);
    expect_result_or_unknown_status(f, i * i);
  }
  // A child that crashes is still reported as such, not as a value.
  auto crash = mp::async(die_by_sigkill, 0);
  ASSERT_EQ(crash.wait_for(60s), std::future_status::ready);
  EXPECT_THROW((void)crash.get(), mp::process_died);
}

TEST(ReliabilityReaper, AsyncChildUnderIgnoredSigchld) {
  ignored_sigchld ignore;
  for (int i = 0; i < 10; ++i) {
    auto f = mp::async(square, i);
    expect_result_or_unknown_status(f, i * i);
  }
}

// Workers that die (killed by their task, or retiring after
// max_tasks_per_child) are reaped by someone else: the pool still sees each
// death, fails only the killed task, replaces the worker, and closes.
void exercise_pool() {
  mp::pool_options options;
  options.processes = 2;
  options.max_tasks_per_child = 3;
  {
    mp::pool workers(options);
    std::vector<mp::future<int>> futures;
    for (int i = 0; i < 30; ++i) {
      futures.push_back(i % 10 == 5 ? workers.submit(die_by_sigkill, i)
                                    : workers.submit(square, i));
    }
    for (int i = 0; i < 30; ++i) {
      auto& f = futures[static_cast<std::size_t>(i)];
      ASSERT_EQ(f.wait_for(60s), std::future_status::ready) << "task " << i;
      if (i % 10 == 5) {
        EXPECT_THROW((void)f.get(), mp::process_died);
      } else {
        EXPECT_EQ(f.get(), i * i);
      }
    }
    workers.close();
    workers.join();
  }
  EXPECT_TRUE(mp::active_children().empty());
}

TEST(ReliabilityReaper, PoolWorkersReapedByAForeignWaitpid) {
  foreign_reaper reaper;
  exercise_pool();
}

TEST(ReliabilityReaper, PoolWorkersUnderIgnoredSigchld) {
  ignored_sigchld ignore;
  exercise_pool();
}

}  // namespace
