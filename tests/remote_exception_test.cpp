// Exceptions from children and pool workers: thrown text keeps its text,
// and registration does not depend on when a worker was forked (issue 9).
#include <gtest/gtest.h>
#include <unistd.h>

#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>
#include <stdexcept>
#include <string>

namespace mp = multiproc;

namespace {

int throw_string(int) { throw std::string("bad input"); }
int throw_literal(int) { throw "bad input"; }

// Registered only after the pool below is built.
struct after_pool_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// Travels through the codec rather than what(): the worker needs its
// encoder, not only the parent.
struct after_pool_record {
  int line;
  double weight;
};

int throw_after_pool_error(int) {
  throw after_pool_error("late " + std::to_string(::getpid()));
}
int throw_after_pool_record(int line) { throw after_pool_record{line, 0.5}; }
pid_t worker_pid(int) { return ::getpid(); }

}  // namespace

TEST(RemoteException, ThrownStringKeepsItsTextThroughAsync) {
  auto f = mp::async(throw_string, 1);
  try {
    f.get();
    FAIL();
  } catch (const mp::remote_error& e) {
    EXPECT_EQ(e.type_name(), "std::string");
    EXPECT_STREQ(e.what(), "bad input");
  }
}

TEST(RemoteException, ThrownLiteralKeepsItsTextThroughAsync) {
  auto f = mp::async(throw_literal, 1);
  try {
    f.get();
    FAIL();
  } catch (const mp::remote_error& e) {
    EXPECT_EQ(e.type_name(), "const char*");
    EXPECT_STREQ(e.what(), "bad input");
  }
}

TEST(RemoteException, ThrownTextKeepsItsTextThroughAPoolTask) {
  mp::pool workers({.processes = 1});
  try {
    workers.apply(throw_string, 1);
    FAIL();
  } catch (const mp::remote_error& e) {
    EXPECT_EQ(e.type_name(), "std::string");
    EXPECT_STREQ(e.what(), "bad input");
  }
  try {
    workers.apply(throw_literal, 1);
    FAIL();
  } catch (const mp::remote_error& e) {
    EXPECT_EQ(e.type_name(), "const char*");
    EXPECT_STREQ(e.what(), "bad input");
  }
}

// Before, the initial worker (forked before the call) sent remote_error
// and only its replacements sent the registered type.
TEST(RemoteException,
     RegisteredAfterThePoolIsTheSameOnInitialAndReplacementWorkers) {
  // One worker, replaced after every task: the first task runs on the
  // worker forked here, the next ones on replacements forked later.
  mp::pool workers({.processes = 1, .max_tasks_per_child = 1});
  mp::register_exception<after_pool_error>();
  mp::register_exception<after_pool_record>();
  std::string initial;
  try {
    workers.apply(throw_after_pool_error, 0);
    FAIL();
  } catch (const after_pool_error& e) {
    initial = e.what();
  }
  std::string replacement;
  try {
    workers.apply(throw_after_pool_error, 0);
    FAIL();
  } catch (const after_pool_error& e) {
    replacement = e.what();
  }
  EXPECT_NE(initial, replacement);  // two different workers said it
  try {
    workers.apply(throw_after_pool_record, 7);
    FAIL();
  } catch (const after_pool_record& e) {
    EXPECT_EQ(e.line, 7);
    EXPECT_EQ(e.weight, 0.5);
  }
}

TEST(RemoteException, RegisteredAfterThePoolComesBackFromALongLivedWorker) {
  mp::pool workers({.processes = 1});
  const pid_t initial = workers.apply(worker_pid, 0);
  mp::register_exception<after_pool_record>();
  try {
    workers.apply(throw_after_pool_record, 3);
    FAIL();
  } catch (const after_pool_record& e) {
    EXPECT_EQ(e.line, 3);
  }
  EXPECT_EQ(workers.apply(worker_pid, 0), initial);
}
