// multiproc::pool's map family (issue 9): any input range the README
// promises, an input range that throws, the progress callback, per-item
// timeouts and per-item outcomes.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <list>
#include <memory>
#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>
#include <ranges>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/child_io.hpp"
#include "support/timing.hpp"

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

using multiproc::testing::with_processes;

int square(int x) { return x * x; }
int add(int a, int b) { return a + b; }
int sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}
int throw_on_3(int x) {
  if (x == 3) throw std::invalid_argument("three is not allowed");
  return x * x;
}

std::vector<int> squares_of(int first, int last) {
  std::vector<int> out;
  for (int i = first; i < last; ++i) out.push_back(i * i);
  return out;
}

// A generator-like input-only view: begin() may be called once and is not
// const, its iterator is move-only and has no default constructor, and it
// yields 0, 1, ... `count - 1`. With `throw_at`, ++ throws
// std::runtime_error instead of moving to that value, as a generator that
// fails does (it cannot go on after that).
class counting_input : public std::ranges::view_interface<counting_input> {
 public:
  explicit counting_input(int count, int throw_at = -1)
      : count_(count), throw_at_(throw_at) {}
  counting_input(counting_input&&) = default;
  counting_input& operator=(counting_input&&) = default;

  class iterator {
   public:
    using value_type = int;
    using difference_type = std::ptrdiff_t;
    explicit iterator(const counting_input* owner) : owner_(owner) {}
    iterator(iterator&&) = default;
    iterator& operator=(iterator&&) = default;
    int operator*() const { return value_; }
    iterator& operator++() {
      if (value_ + 1 == owner_->throw_at_) {
        throw std::runtime_error("the generator failed");
      }
      ++value_;
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) {
      return it.at_end();
    }

   private:
    bool at_end() const { return value_ >= owner_->count_; }

    const counting_input* owner_;
    int value_ = 0;
  };

  iterator begin() { return iterator(this); }
  std::default_sentinel_t end() { return {}; }

 private:
  int count_;
  int throw_at_;
};
static_assert(std::ranges::input_range<counting_input>);
static_assert(!std::ranges::forward_range<counting_input>);
static_assert(!std::ranges::common_range<counting_input>);

// 0, 1, ... 9, where reading the item 5 throws std::domain_error (from
// dereferencing: the iterator stays valid and the input can go on).
auto input_failing_at_5() {
  return std::views::iota(0, 10) | std::views::transform([](int i) {
           if (i == 5) throw std::domain_error("bad input 5");
           return i;
         });
}

// What iterating a lazy range gives: values, and "error" where
// dereferencing threw the expected exception type E.
template <class E, class Range>
std::vector<std::string> drain(Range& results) {
  std::vector<std::string> seen;
  for (auto it = results.begin(); it != results.end(); ++it) {
    try {
      seen.push_back(std::to_string(*it));
    } catch (const E&) {
      seen.emplace_back("error");
    }
  }
  return seen;
}

bool strictly_increasing(const std::vector<std::size_t>& counts) {
  return std::adjacent_find(counts.begin(), counts.end(),
                            std::greater_equal<>()) == counts.end();
}

}  // namespace

// --- Bug 7: ranges the README promises ------------------------------------

TEST(PoolRanges, MapTakesNonCommonRanges) {
  mp::pool workers(with_processes(2));
  EXPECT_EQ(workers.map(square, std::views::iota(0) | std::views::take(10)),
            squares_of(0, 10));
  EXPECT_EQ(workers.map(square,
                        std::views::iota(0) | std::views::take_while(
                                                  [](int i) { return i < 5; })),
            squares_of(0, 5));
  std::vector<int> imapped;
  for (int v : workers.imap(square, std::views::iota(0) | std::views::take(7)))
    imapped.push_back(v);
  EXPECT_EQ(imapped, squares_of(0, 7));
}

TEST(PoolRanges, IstreamViewFeedsMapAndImap) {
  mp::pool workers(with_processes(2));
  std::istringstream for_map("1 2 3 4");
  EXPECT_EQ(workers.map(square, std::views::istream<int>(for_map)),
            (std::vector<int>{1, 4, 9, 16}));
  std::istringstream for_imap("5 6 7");
  std::vector<int> imapped;
  for (int v : workers.imap(square, std::views::istream<int>(for_imap)))
    imapped.push_back(v);
  EXPECT_EQ(imapped, (std::vector<int>{25, 36, 49}));
}

TEST(PoolRanges, FilterViewWhoseBeginIsNotConst) {
  mp::pool workers(with_processes(2));
  std::vector<int> numbers{1, 2, 3, 4, 5, 6};
  auto evens = numbers | std::views::filter([](int i) { return i % 2 == 0; });
  EXPECT_EQ(workers.map(square, evens), (std::vector<int>{4, 16, 36}));
  std::multiset<int> unordered;
  for (int v : workers.imap_unordered(square, evens)) unordered.insert(v);
  EXPECT_EQ(unordered, (std::multiset<int>{4, 16, 36}));
}

TEST(PoolRanges, StdList) {
  mp::pool workers(with_processes(2));
  const std::list<int> inputs{3, 1, 2};
  EXPECT_EQ(workers.map(square, inputs), (std::vector<int>{9, 1, 4}));
  std::vector<int> imapped;
  for (int v : workers.imap(square, inputs)) imapped.push_back(v);
  EXPECT_EQ(imapped, (std::vector<int>{9, 1, 4}));
}

TEST(PoolRanges, GeneratorLikeInputOnlyView) {
  mp::pool workers(with_processes(2));
  EXPECT_EQ(workers.map(square, counting_input(6)), squares_of(0, 6));
  std::vector<int> imapped;
  for (int v : workers.imap(square, counting_input(40))) imapped.push_back(v);
  EXPECT_EQ(imapped, squares_of(0, 40));
}

TEST(PoolRanges, StarmapOverZippedPairs) {
  mp::pool workers(with_processes(2));
  const std::vector<int> left{1, 2, 3, 4};
  const std::vector<int> right{10, 20, 30, 40};
  // C++20 has no views::zip: zip through the indices.
  auto zipped = std::views::iota(std::size_t{0}, left.size()) |
                std::views::transform([&](std::size_t i) {
                  return std::pair<int, int>(left[i], right[i]);
                });
  EXPECT_EQ(workers.starmap(add, zipped), (std::vector<int>{11, 22, 33, 44}));
  std::vector<std::pair<int, int>> pairs(zipped.begin(), zipped.end());
  EXPECT_EQ(workers.starmap(add, pairs), (std::vector<int>{11, 22, 33, 44}));
}

// --- Bug 8: an input range that throws ------------------------------------

TEST(PoolImapInputError, EarlierResultsThenTheInputsOwnErrorThenTheRest) {
  mp::pool workers(with_processes(2));
  auto results = workers.imap(square, input_failing_at_5());
  EXPECT_EQ(drain<std::domain_error>(results),
            (std::vector<std::string>{"0", "1", "4", "9", "16", "error", "36",
                                      "49", "64", "81"}));
}

TEST(PoolImapInputError, AnInputThatCannotGoOnEndsAfterItsError) {
  mp::pool workers(with_processes(2));
  auto results = workers.imap(square, counting_input(10, 4));
  EXPECT_EQ(drain<std::runtime_error>(results),
            (std::vector<std::string>{"0", "1", "4", "9", "error"}));
}

// An input whose begin() throws: nothing before it, so the range yields
// that error and ends.
struct failing_begin : std::ranges::view_interface<failing_begin> {
  const int* begin() const { throw std::length_error("no input today"); }
  const int* end() const { return nullptr; }
};

TEST(PoolImapInputError, AnInputWhoseBeginThrowsGivesThatErrorThenTheEnd) {
  mp::pool workers(with_processes(1));
  auto results = workers.imap(square, failing_begin{});
  EXPECT_EQ(drain<std::length_error>(results),
            (std::vector<std::string>{"error"}));
}

TEST(PoolImapInputError, WithChunksTheItemsBeforeItInItsChunkStillRun) {
  mp::pool workers(with_processes(2));
  mp::map_options options;
  options.chunksize = 4;
  auto results = workers.imap(square, input_failing_at_5(), options);
  EXPECT_EQ(drain<std::domain_error>(results),
            (std::vector<std::string>{"0", "1", "4", "9", "16", "error", "36",
                                      "49", "64", "81"}));
}

TEST(PoolImapInputError, UnorderedRaisesItAfterEveryItemReadBeforeIt) {
  mp::pool workers(with_processes(2));
  auto results = workers.imap_unordered(square, input_failing_at_5());
  const auto seen = drain<std::domain_error>(results);
  ASSERT_EQ(seen.size(), 10U);
  const auto error = std::find(seen.begin(), seen.end(), "error");
  ASSERT_NE(error, seen.end());
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "error"), 1);
  std::set<std::string> before(seen.begin(), error);
  for (const char* v : {"0", "1", "4", "9", "16"}) EXPECT_TRUE(before.count(v));
  std::set<std::string> values(seen.begin(), seen.end());
  values.erase("error");
  EXPECT_EQ(values, (std::set<std::string>{"0", "1", "4", "9", "16", "36", "49",
                                           "64", "81"}));
}

TEST(PoolImapInputError, UnorderedAnInputThatCannotGoOnEndsAfterItsError) {
  mp::pool workers(with_processes(2));
  auto results = workers.imap_unordered(square, counting_input(10, 4));
  const auto seen = drain<std::runtime_error>(results);
  ASSERT_EQ(seen.size(), 5U);
  EXPECT_EQ(seen.back(), "error");
}

// --- Progress -------------------------------------------------------------

TEST(PoolProgress, MapReportsEachCountOnceStrictlyIncreasing) {
  mp::pool workers(with_processes(2));
  std::vector<std::size_t> seen;
  mp::map_options options;
  options.chunksize = 1;
  options.progress = [&](std::size_t done, std::size_t total) {
    EXPECT_EQ(total, 300U);
    seen.push_back(done);
  };
  workers.map(square, std::vector<int>(300, 2), options);
  EXPECT_TRUE(strictly_increasing(seen));
  EXPECT_EQ(seen.size(), 300U);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 300U);
}

TEST(PoolProgress, ImapReportsEachCountOnceStrictlyIncreasing) {
  mp::pool workers(with_processes(2));
  std::vector<std::size_t> seen;
  mp::map_options options;
  options.chunksize = 3;
  options.progress = [&](std::size_t done, std::size_t) {
    seen.push_back(done);
  };
  for (int v : workers.imap_unordered(square, std::vector<int>(90, 2), options))
    EXPECT_EQ(v, 4);
  EXPECT_TRUE(strictly_increasing(seen));
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), 90U);
}

TEST(PoolProgress, AfterTerminateTheCancelledItemsAreNotCounted) {
  mp::pool workers(with_processes(2));
  std::vector<std::size_t> seen;
  mp::map_options options;
  options.chunksize = 1;
  options.progress = [&](std::size_t done, std::size_t) {
    seen.push_back(done);
  };
  std::thread stopper([&] {
    std::this_thread::sleep_for(300ms);
    workers.terminate();
  });
  EXPECT_THROW(workers.map(sleep_ms, std::vector<int>(40, 50), options),
               mp::cancelled_error);
  stopper.join();
  EXPECT_TRUE(strictly_increasing(seen));
  if (!seen.empty()) {
    EXPECT_LT(seen.back(), 40U);
  }
}

// --- Per-item timeouts and outcomes ---------------------------------------

TEST(PoolMapTimeout, TaskTimeoutIsPerItemWhateverTheChunking) {
  // One worker, 20 items of 80 ms under a 300 ms timeout: the default
  // chunking (5 items, 400 ms) or an explicit chunksize must not make
  // them time out together.
  mp::pool_options pool_options = with_processes(1);
  pool_options.task_timeout = 300ms;
  mp::pool workers(std::move(pool_options));
  const std::vector<int> inputs(20, 80);
  EXPECT_EQ(workers.map(sleep_ms, inputs), inputs);
  mp::map_options options;
  options.chunksize = 10;
  std::vector<int> imapped;
  for (int v : workers.imap(sleep_ms, std::vector<int>(8, 80), options))
    imapped.push_back(v);
  EXPECT_EQ(imapped, std::vector<int>(8, 80));
}

int mixed_fate(int i) {
  if (i == 2 || i == 6) throw std::invalid_argument("bad item");
  if (i == 4) ::raise(SIGKILL);
  if (i == 8) std::this_thread::sleep_for(30s);
  return i * 10;
}

TEST(PoolMapOutcomes, EachItemHasItsIndexAndItsOwnValueOrError) {
  mp::pool_options pool_options = with_processes(2);
  pool_options.task_timeout = 1s;
  mp::pool workers(std::move(pool_options));
  std::vector<int> inputs(10);
  for (int i = 0; i < 10; ++i) inputs[static_cast<std::size_t>(i)] = i;
  const auto outcomes = workers.map_outcomes(mixed_fate, inputs);
  ASSERT_EQ(outcomes.size(), 10U);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    const auto& o = outcomes[i];
    EXPECT_EQ(o.index(), i);
    switch (i) {
      case 2:
      case 6:
        EXPECT_FALSE(o.has_value());
        EXPECT_THROW(o.value(), std::invalid_argument);
        break;
      case 4:
        EXPECT_THROW(std::rethrow_exception(o.error()), mp::process_died);
        break;
      case 8:
        EXPECT_THROW(std::rethrow_exception(o.error()), mp::timeout_error);
        break;
      default:
        ASSERT_TRUE(o.has_value());
        EXPECT_EQ(o.error(), nullptr);
        EXPECT_EQ(o.value(), static_cast<int>(i) * 10);
    }
  }
}

TEST(PoolMapOutcomes, AnItemsExceptionFailsOnlyThatItemOfItsChunk) {
  mp::pool workers(with_processes(2));
  mp::map_options options;
  options.chunksize = 5;
  const auto outcomes = workers.map_outcomes(
      throw_on_3, std::vector<int>{0, 1, 2, 3, 4, 5}, options);
  ASSERT_EQ(outcomes.size(), 6U);
  for (std::size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(outcomes[i].index(), i);
    EXPECT_EQ(outcomes[i].has_value(), i != 3);
  }
  EXPECT_THROW(outcomes[3].value(), std::invalid_argument);
  EXPECT_EQ(outcomes[5].value(), 25);
}

TEST(PoolMapOutcomes, ImapOutcomesInOrderAndUnordered) {
  mp::pool workers(with_processes(2));
  std::vector<std::size_t> indices;
  for (auto& o : workers.imap_outcomes(throw_on_3, input_failing_at_5())) {
    EXPECT_EQ(indices.size(), o.index());
    indices.push_back(o.index());
    const int i = static_cast<int>(o.index());
    if (i == 3) {
      EXPECT_THROW(o.value(), std::invalid_argument);
    } else if (i == 5) {
      EXPECT_THROW(o.value(), std::domain_error);
    } else {
      EXPECT_EQ(o.value(), i * i);
    }
  }
  EXPECT_EQ(indices.size(), 10U);
  std::set<std::size_t> unordered;
  for (auto& o : workers.imap_unordered_outcomes(
           throw_on_3, std::vector<int>{0, 1, 2, 3})) {
    unordered.insert(o.index());
    EXPECT_EQ(o.has_value(), o.index() != 3);
  }
  EXPECT_EQ(unordered, (std::set<std::size_t>{0, 1, 2, 3}));
}
