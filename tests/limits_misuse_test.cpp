// Bad caps are an error at the call, with nothing started: zero values, a
// hard CPU limit below the soft one, a cap above this process's own hard
// limit, and cpu_time_hard on a pool task.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <functional>
#include <multiproc/multiproc.hpp>
#include <string>
#include <system_error>

#include "limits_test_support.hpp"

namespace mp = multiproc;
namespace mt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

std::string usage_message(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const mp::usage_error& e) {
    return e.what();
  }
  return "(no error)";
}

int nothing() { return 0; }

// Lowers this process's hard open-files limit for one test (root could
// otherwise give a child more than the parent has).
class lowered_nofile {
 public:
  explicit lowered_nofile(rlim_t hard) : saved_(mt::limit_of(RLIMIT_NOFILE)) {
    rlimit lower{std::min(saved_.rlim_cur, hard), hard};
    ::setrlimit(RLIMIT_NOFILE, &lower);
  }
  ~lowered_nofile() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

 private:
  rlimit saved_;
};

}  // namespace

TEST(LimitsMisuse, ZeroCapsAreUsageErrors) {
  mp::limits caps;
  caps.data = 0;
  EXPECT_EQ(usage_message([&] { mp::async({.limits = caps}, nothing); }),
            "limits: data must be positive");
  caps = {};
  caps.open_files = 0;
  EXPECT_EQ(usage_message([&] { mp::process p({.limits = caps}, nothing); }),
            "limits: open_files must be positive");
  caps = {};
  caps.cpu_time = 0s;
  EXPECT_EQ(usage_message([&] { mp::async({.limits = caps}, nothing); }),
            "limits: cpu_time must be positive");
  caps = {};
  caps.cpu_time = -3s;
  EXPECT_EQ(usage_message([&] { mp::async({.limits = caps}, nothing); }),
            "limits: cpu_time must be positive");
  EXPECT_TRUE(mp::active_children().empty());
}

TEST(LimitsMisuse, HardCpuBelowSoftIsAUsageError) {
  mp::limits caps;
  caps.cpu_time = 5s;
  caps.cpu_time_hard = 2s;
  EXPECT_EQ(usage_message([&] { mp::async({.limits = caps}, nothing); }),
            "limits: cpu_time_hard must not be below cpu_time");
}

TEST(LimitsMisuse, CapAboveTheParentsHardLimitIsRefusedNotClamped) {
  lowered_nofile lowered(512);
  mp::limits caps;
  caps.open_files = 4096;
  try {
    mp::async({.limits = caps}, nothing);
    ADD_FAILURE() << "a cap above the hard limit was accepted";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::operation_not_permitted);
    EXPECT_NE(std::string(e.what()).find(
                  "limits: open_files of 4096 is above this process's hard "
                  "limit of 512"),
              std::string::npos)
        << e.what();
  }
  EXPECT_TRUE(mp::active_children().empty());
  // At the hard limit is fine.
  caps.open_files = 512;
  EXPECT_EQ(mp::call({.limits = caps}, nothing), 0);
}

TEST(LimitsMisuse, ProcessWithBadCapsFailsAtConstruction) {
  mp::limits caps;
  caps.file_size = 0;
  EXPECT_THROW(mp::process({.limits = caps}, nothing), mp::usage_error);
}

TEST(LimitsMisuse, PoolWithBadCapsForksNoWorker) {
  mp::limits caps;
  caps.data = 0;
  EXPECT_EQ(
      usage_message([&] { mp::pool p({.processes = 2, .limits = caps}); }),
      "limits: data must be positive");
  EXPECT_TRUE(mp::active_children().empty());
}

TEST(LimitsMisuse, PoolTaskHardCpuIsAUsageErrorAndQueuesNothing) {
  mp::pool workers({.processes = 1});
  mp::task_options options;
  options.limits = mp::limits{};
  options.limits->cpu_time_hard = 3s;
  EXPECT_EQ(usage_message([&] { workers.submit(options, nothing); }),
            "limits: cpu_time_hard cannot be set for a pool task (its "
            "worker's hard limits outlive it); use pool_options::limits");
  EXPECT_EQ(workers.apply(nothing), 0);
}

TEST(LimitsMisuse, PoolTaskCapAboveTheWorkersHardLimitIsRefused) {
  mp::limits worker_caps;
  worker_caps.open_files = 256;
  mp::pool workers({.processes = 1, .limits = worker_caps});
  mp::task_options options;
  options.limits = mp::limits{};
  options.limits->open_files = 1024;
  EXPECT_THROW(workers.submit(options, nothing), std::system_error);
  options.limits->open_files = 128;
  EXPECT_EQ(workers.submit(options, nothing).get(), 0);
}
