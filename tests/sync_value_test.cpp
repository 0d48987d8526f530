// mp::value, array, raw_value, raw_array (spec/ipc.md §5 rows 16-17).
#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <multiproc/multiproc.hpp>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/child_io.hpp"
#include "support/timing.hpp"
#include "sync_test_support.hpp"

namespace mp = multiproc;
namespace mpt = multiproc::testing;
using namespace std::chrono_literals;

namespace {

TEST(SyncValue, DefaultsAndCopiesShareOneObject) {
  mp::value<int> v;
  EXPECT_EQ(v.load(), 0);
  mp::value<double> d(2.5);
  EXPECT_EQ(d.load(), 2.5);
  mp::value<int> same = v;
  same.store(7);
  EXPECT_EQ(v.load(), 7);
  struct point {
    int x;
    int y;
  };
  mp::value<point> p({1, 2});
  EXPECT_EQ(p.load().y, 2);
}

// §5 row 17: 2 processes × 20,000 locked increments.
TEST(SyncValue, LockedIncrementsFromTwoProcesses) {
  mp::value<long> v;
  auto work = [v]() mutable {
    for (int i = 0; i < 20000; ++i) {
      std::lock_guard g(v);
      ++v.get_obj();
    }
  };
  mp::process a(work);
  mp::process b(work);
  a.start();
  b.start();
  a.join();
  b.join();
  EXPECT_EQ(v.load(), 40000);
}

TEST(SyncValue, GivenLockIsThatLock) {
  mp::lock l;
  mp::value<int, mp::lock> v(3, l);
  {
    std::lock_guard g(v);
    EXPECT_TRUE(l.locked());
  }
  EXPECT_FALSE(l.locked());
  mp::lock got = v.get_lock();
  ASSERT_TRUE(got.acquire());
  EXPECT_FALSE(v.acquire(false));
  got.release();
}

// §5 row 16: the value's lock holder SIGKILLed inside its locked section;
// load() in another process returns promptly, and an acquisition through
// the value reports the death.
TEST(SyncValue, LockHolderKilledLoadDoesNotHang) {
  mp::value<int> v(5);
  mpt::pipe_pair release;
  mp::process holder = mpt::start_holder(
      [v]() mutable {
        v.acquire();
        v.get_obj() = 6;  // half-done work the survivor sees
      },
      release);
  mpt::kill_on_exit guard{holder};
  mpt::kill_and_reap(holder);
  auto report = mpt::run_in_child([v]() mutable {
    std::string text = std::to_string(v.load());
    auto r = v.acquire(2s);
    text += r.owner_died() ? " died" : " plain";
    return text;
  });
  // The first child's rlock was taken over by load() in the second child,
  // which released it; its own acquire is then a plain one.
  EXPECT_EQ(report.text, "6 plain");
  auto mine = v.acquire(2s);
  EXPECT_TRUE(mine.owner_died());  // the second child ended holding it
  v.release();
}

TEST(SyncArray, PythonBehaviourAndMessages) {
  mp::array<int> a(3);
  EXPECT_EQ(a.size(), 3u);
  EXPECT_EQ(a.load(), (std::vector<int>{0, 0, 0}));
  a.store(1, 9);
  EXPECT_EQ(a.load(1), 9);
  try {
    (void)a.load(5);
    FAIL() << "no error";
  } catch (const std::out_of_range& e) {
    EXPECT_STREQ(e.what(), "invalid index");
  }
  EXPECT_THROW(a.store(3, 1), std::out_of_range);
  const std::vector<int> two{1, 2};
  try {
    a.store(two);
    FAIL() << "no error";
  } catch (const mp::usage_error& e) {
    EXPECT_STREQ(e.what(), "Can only assign sequence of same size");
  }
  a.store(1, 3, two);
  EXPECT_EQ(a.load(), (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(a.load(1, 100), (std::vector<int>{1, 2}));
  mp::array<std::int64_t> b{4, 5, 6};
  EXPECT_EQ(b.load(2), 6);
  auto report = mpt::run_in_child([b]() mutable {
    b.store(0, 40);
    return std::to_string(b.load(1));
  });
  EXPECT_EQ(report.text, "5");
  EXPECT_EQ(b.load(0), 40);
}

// A size whose byte count would wrap (or exceed the 2^40-byte cap) is
// refused before anything is allocated or constructed.
TEST(SyncArray, HugeSizesAreRefusedNotWrapped) {
  constexpr std::size_t wraps = SIZE_MAX / sizeof(std::int64_t) + 2;
  EXPECT_THROW((void)mp::raw_array<std::int64_t>(wraps),
               std::bad_array_new_length);
  EXPECT_THROW((void)mp::array<std::int64_t>(wraps), std::bad_array_new_length);
  EXPECT_THROW((void)mp::raw_array<char>((std::size_t{1} << 40) + 1),
               std::bad_array_new_length);
  mp::raw_array<char> fine(16);  // and the arena is still usable
  EXPECT_EQ(fine.size(), 16u);
}

TEST(SyncArray, ArrayLockHolderKilledStoreDoesNotHang) {
  mp::array<int> a(4);
  mpt::pipe_pair release;
  mp::process holder = mpt::start_holder([a]() mutable { a.lock(); }, release);
  mpt::kill_on_exit guard{holder};
  mpt::kill_and_reap(holder);
  mpt::stopwatch watch;
  a.store(2, 8);
  EXPECT_EQ(a.load(2), 8);
  EXPECT_LT(watch.elapsed(), mpt::late_bound(0ms));
}

TEST(SyncRawValue, NoLockSharedWithChildren) {
  mp::raw_value<int> r(1);
  mp::raw_array<char> chars{'a', 'b'};
  auto report = mpt::run_in_child([r, chars]() mutable {
    r.store(r.load() + 1);
    chars.store(0, 'z');
    return std::string();
  });
  EXPECT_EQ(report.exitcode, 0);
  EXPECT_EQ(r.load(), 2);
  EXPECT_EQ(chars.load(0), 'z');
  EXPECT_THROW((void)chars.load(2), std::out_of_range);
  EXPECT_EQ(chars.get_obj().size(), 2u);
}

}  // namespace
