// mp::lock (class mutex): Python's Lock behaviour and messages, and the
// takeover of a lock whose holder ended (spec/ipc.md §5 rows 1-5).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <multiproc/multiproc.hpp>
#include <mutex>
#include <thread>
#include <vector>

#include "posix/sys.hpp"
#include "support/child_io.hpp"
#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

std::string message_of_release(mp::lock& l) {
  try {
    l.release();
  } catch (const mp::usage_error& e) {
    return e.what();
  }
  return "(no error)";
}

// §5 row 1.
TEST(SyncLock, PythonBasicsAndMessages) {
  mp::lock l;
  EXPECT_FALSE(l.locked());
  auto first = l.acquire();
  EXPECT_TRUE(first.acquired());
  EXPECT_FALSE(first.owner_died());
  EXPECT_TRUE(l.locked());
  // Not reentrant: the holder's own try fails at once.
  mpt::stopwatch quick;
  EXPECT_FALSE(l.acquire(false).acquired());
  EXPECT_LT(quick.elapsed(), mpt::late_bound(0ms));
  mpt::stopwatch timed;
  EXPECT_FALSE(l.acquire(200ms).acquired());
  EXPECT_GE(timed.elapsed(), 200ms);
  EXPECT_LT(timed.elapsed(), mpt::late_bound(200ms));
  EXPECT_FALSE(l.acquire(0s));
  EXPECT_FALSE(l.acquire(-5s));
  l.release();
  EXPECT_FALSE(l.locked());
  EXPECT_EQ(message_of_release(l), "semaphore or lock released too many times");
  EXPECT_TRUE(l.acquire(true).acquired());
  l.release();
}

TEST(SyncLock, AcquireUntilOnAnyClock) {
  mp::lock l;
  ASSERT_TRUE(l.acquire());
  mpt::stopwatch watch;
  EXPECT_FALSE(l.acquire_until(std::chrono::system_clock::now() + 100ms));
  EXPECT_GE(watch.elapsed(), 90ms);
  EXPECT_FALSE(l.acquire_until(std::chrono::steady_clock::now() + 50ms));
  EXPECT_FALSE(l.try_lock_until(std::chrono::steady_clock::time_point::min()));
  l.release();
  EXPECT_TRUE(l.acquire_until(std::chrono::steady_clock::time_point::max()));
  l.release();
  EXPECT_TRUE(l.acquire(std::chrono::nanoseconds::max()));
  l.release();
}

// §5 row 2: released by another process; then the first one's try works.
TEST(SyncLock, AnotherProcessMayRelease) {
  mp::lock l;
  ASSERT_TRUE(l.acquire());
  mp::process releaser([l]() mutable { l.release(); });
  releaser.start();
  releaser.join();
  EXPECT_EQ(releaser.exitcode(), 0);
  EXPECT_FALSE(l.locked());
  EXPECT_TRUE(l.acquire(false).acquired());
  l.release();
}

TEST(SyncLock, ChildSeesTheSameLock) {
  mp::lock l;
  ASSERT_TRUE(l.acquire());
  auto report = mpt::run_in_child([l]() mutable {
    std::string text = l.locked() ? "locked" : "free";
    text += l.acquire(false) ? " got" : " busy";
    return text;
  });
  EXPECT_EQ(report.text, "locked busy");
  l.release();
  report = mpt::run_in_child([l]() mutable {
    auto r = l.acquire(1s);
    std::string text = r ? "got" : "busy";
    l.release();
    return text;
  });
  EXPECT_EQ(report.text, "got");
}

// §5 row 3a: a holder SIGKILLed inside its critical section; a later
// acquisition takes it over at once and says so, and owner_died() stays
// true until release().
TEST(SyncLock, HolderKilledLaterAcquireTakesOverAtOnce) {
  mp::lock l;
  mpt::pipe_pair release;
  mp::process holder = mpt::start_holder([l]() mutable { l.lock(); }, release);
  mpt::kill_on_exit guard{holder};
  EXPECT_TRUE(l.locked());
  EXPECT_FALSE(l.acquire(false));
  mpt::kill_and_reap(holder);
  EXPECT_FALSE(l.locked());  // a holder that ended holds nothing
  mpt::stopwatch watch;
  auto r = l.acquire(2s);
  EXPECT_LT(watch.elapsed(), mpt::late_bound(0ms));
  EXPECT_TRUE(r.acquired());
  EXPECT_TRUE(r.owner_died());
  EXPECT_TRUE(l.owner_died());
  EXPECT_TRUE(l.locked());
  l.release();
  // §5 row 5: not poisoned; the next acquisition is a plain one.
  EXPECT_FALSE(l.owner_died());
  auto again = l.acquire(false);
  EXPECT_TRUE(again.acquired());
  EXPECT_FALSE(again.owner_died());
  l.release();
}

// §5 row 3b: a waiter already blocked in acquire() (no timeout) gets it
// promptly when the holder is killed.
TEST(SyncLock, HolderKilledBlockedWaiterGetsItPromptly) {
  mp::lock l;
  mpt::pipe_pair release;
  mp::process holder = mpt::start_holder([l]() mutable { l.lock(); }, release);
  mpt::kill_on_exit guard{holder};
  std::atomic<bool> got{false};
  std::atomic<bool> died{false};
  std::atomic<long> at_ms{0};
  const auto start = std::chrono::steady_clock::now();
  std::thread waiter([&] {
    auto r = l.acquire();
    at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
    died = r.owner_died();
    got = r.acquired();
  });
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(got.load());
  const auto killed_at = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  mpt::kill_and_reap(holder);
  waiter.join();
  EXPECT_TRUE(got.load());
  EXPECT_TRUE(died.load());
  // Promptly: the contract's 100 ms, with the test's slack.
  EXPECT_LT(std::chrono::milliseconds(at_ms.load()) - killed_at,
            mpt::late_bound(100ms));
  l.release();
}

// §5 row 4: the holder returns from its target while holding it.
TEST(SyncLock, HolderReturnsWhileHolding) {
  mp::lock l;
  mp::process holder([l]() mutable { l.lock(); });
  holder.start();
  holder.join();
  EXPECT_EQ(holder.exitcode(), 0);
  auto r = l.acquire(2s);
  EXPECT_TRUE(r.owner_died());
  l.release();
}

TEST(SyncLock, HolderUnderscoreExitsWhileHolding) {
  mp::lock l;
  mp::process holder([l]() mutable {
    l.lock();
    ::_exit(3);
  });
  holder.start();
  holder.join();
  EXPECT_EQ(holder.exitcode(), 3);
  auto r = l.acquire(2s);
  EXPECT_TRUE(r.owner_died());
  l.release();
}

// exec ends the process's use of everything it held, though the process
// lives on as another program.
TEST(SyncLock, HolderExecsWhileHolding) {
  mp::lock l;
  mpt::pipe_pair ready;
  mpt::pipe_pair release;
  mp::process holder([l, &ready, &release]() mutable {
    ready.close_read();
    release.close_write();
    l.lock();
    mpt::write_all(ready.write_end(), "held\n");
    // The read end of `release` stays open across exec (dup'd without
    // close-on-exec), so `cat` blocks until the test closes its write end.
    ::dup2(release.read_end(), STDIN_FILENO);
    ::execl("/bin/cat", "cat", static_cast<char*>(nullptr));
    ::_exit(127);
  });
  holder.start();
  mpt::kill_on_exit guard{holder};
  ready.close_write();
  release.close_read();
  ASSERT_EQ(mpt::read_line(ready.read_end()).value_or(""), "held");
  // The pipe reaches end of file once exec has closed the child's
  // close-on-exec copy of its write end: the exec has happened.
  EXPECT_EQ(mpt::read_all(ready.read_end()), "");
  mpt::stopwatch watch;
  auto r = l.acquire(5s);
  EXPECT_TRUE(r.owner_died());
  EXPECT_TRUE(holder.is_alive());
  EXPECT_LT(watch.elapsed(), mpt::late_bound(200ms));
  release.close_write();
  holder.join();
  EXPECT_EQ(holder.exitcode(), 0);
  l.release();
}

// Only the end of the holding process counts: a thread that ends holding
// a Lock leaves it held, and another thread may release it.
TEST(SyncLock, ThreadThatEndsHoldingLeavesItHeld) {
  mp::lock l;
  std::thread([&] { l.lock(); }).join();
  EXPECT_TRUE(l.locked());
  EXPECT_FALSE(l.acquire(false));
  l.release();
  EXPECT_TRUE(l.acquire(false));
  l.release();
}

// No 2,048-entry robust-list limit: every lock of a killed holder is
// taken over.
TEST(SyncLock, HolderOfThreeThousandLocksKilled) {
  std::vector<mp::lock> locks(3000);
  mpt::pipe_pair release;
  mp::process holder = mpt::start_holder(
      [locks]() mutable {
        for (auto& l : locks) l.lock();
      },
      release);
  mpt::kill_on_exit guard{holder};
  mpt::kill_and_reap(holder);
  int taken_over = 0;
  for (auto& l : locks) {
    auto r = l.acquire(false);
    if (r.owner_died()) ++taken_over;
    if (r) l.release();
  }
  EXPECT_EQ(taken_over, 3000);
}

TEST(SyncLock, StdInterop) {
  mp::lock a;
  mp::lock b;
  {
    std::lock_guard g(a);
    EXPECT_TRUE(a.locked());
  }
  EXPECT_FALSE(a.locked());
  {
    std::unique_lock u(a, std::try_to_lock);
    EXPECT_TRUE(u.owns_lock());
    std::unique_lock v(a, std::try_to_lock);
    EXPECT_FALSE(v.owns_lock());
    std::unique_lock w(a, 20ms);
    EXPECT_FALSE(w.owns_lock());
  }
  {
    std::scoped_lock both(a, b);
    EXPECT_TRUE(a.locked());
    EXPECT_TRUE(b.locked());
  }
  // std::lock's deadlock avoidance with another thread taking them in the
  // opposite order.
  std::thread other([&] {
    for (int i = 0; i < 2000; ++i) {
      std::lock(b, a);
      a.unlock();
      b.unlock();
    }
  });
  for (int i = 0; i < 2000; ++i) {
    std::lock(a, b);
    b.unlock();
    a.unlock();
  }
  other.join();
  EXPECT_FALSE(a.locked());
  EXPECT_FALSE(b.locked());
}

TEST(SyncLock, ConditionVariableAnyBetweenThreads) {
  mp::lock l;
  std::condition_variable_any cv;
  bool ready = false;
  std::thread setter([&] {
    std::lock_guard g(l);
    ready = true;
    cv.notify_one();
  });
  {
    std::unique_lock u(l);
    cv.wait(u, [&] { return ready; });
  }
  setter.join();
  EXPECT_TRUE(ready);
}

// Two processes × 20,000 increments of a plain int under the lock.
TEST(SyncLock, SerialisesProcesses) {
  mp::lock l;
  mpt::shared<long> counter;
  long* total = &*counter;
  auto work = [l, total]() mutable {
    for (int i = 0; i < 20000; ++i) {
      std::lock_guard g(l);
      *total = *total + 1;
    }
  };
  mp::process a(work);
  mp::process b(work);
  a.start();
  b.start();
  a.join();
  b.join();
  EXPECT_EQ(*counter, 40000);
}

// A signal whose handler returns does not shorten a timed acquire.
TEST(SyncLock, SignalDoesNotShortenTheWait) {
  struct sigaction action {};
  action.sa_handler = [](int) {};
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGALRM, &action, &old), 0);
  mp::lock l;
  ASSERT_TRUE(l.acquire());
  itimerval every{{0, 30000}, {0, 30000}};
  ::setitimer(ITIMER_REAL, &every, nullptr);
  mpt::stopwatch watch;
  std::thread waiter([&] { EXPECT_FALSE(l.acquire(300ms)); });
  waiter.join();
  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  ::sigaction(SIGALRM, &old, nullptr);
  EXPECT_GE(watch.elapsed(), 300ms);
  l.release();
}

// EINTR (and every other early return of the futex) is retried inside:
// the wait still lasts until its deadline.
TEST(SyncLock, InterruptedFutexWaitsGoOnToTheDeadline) {
  namespace sys = multiproc::detail::sys;
  mp::lock l;
  ASSERT_TRUE(l.acquire());
  sys::inject_failure(sys::call::futex_wait, EINTR, 1000);
  mpt::stopwatch watch;
  std::thread waiter([&] { EXPECT_FALSE(l.acquire(150ms)); });
  waiter.join();
  sys::clear_injected_failures();
  EXPECT_GE(watch.elapsed(), 150ms);
  l.release();
}

// A fork while another thread is inside a lock operation: the child uses
// the lock normally (no library-internal lock inherited held).
TEST(SyncLock, ForkWhileAnotherThreadHammersLocks) {
  std::atomic<bool> stop{false};
  std::thread hammer([&] {
    while (!stop.load()) {
      mp::lock fresh;  // allocation, holdings list, release
      fresh.lock();
      fresh.unlock();
    }
  });
  mp::lock l;
  for (int i = 0; i < 20; ++i) {
    auto report = mpt::run_in_child([l]() mutable {
      mp::lock made_here;
      std::lock_guard g(l);
      return std::string(made_here.acquire(false) ? "ok" : "busy");
    });
    EXPECT_EQ(report.text, "ok");
  }
  stop = true;
  hammer.join();
}

TEST(SyncLock, HandlesCopyAndMoveToTheSameObject) {
  mp::lock a;
  mp::lock b = a;
  mp::lock c = std::move(b);
  ASSERT_TRUE(a.acquire());
  EXPECT_TRUE(b.locked());  // a moved-from handle is still a handle
  EXPECT_TRUE(c.locked());
  mp::lock d;
  d = c;
  d.release();
  EXPECT_FALSE(a.locked());
}

}  // namespace
