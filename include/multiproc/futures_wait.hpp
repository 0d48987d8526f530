// multiproc/futures_wait.hpp — waiting on many futures at once: Python's
// concurrent.futures.wait() and as_completed().
//
// Both take futures of either kind, from multiproc::async() and from a
// multiproc::pool, mixed freely, and report positions in the list they were
// given: a future is move-only, so it stays where it is and you index it.
//
//   namespace mp = multiproc;
//   mp::pool pool;
//   std::vector<mp::future<int>> fs;
//   for (int n : inputs) fs.push_back(pool.submit(work, n));
//   fs.push_back(mp::async(other_work));
//
//   // Everything that finishes within 5 s, or stop at the first failure:
//   auto [done, not_done] =
//       mp::wait(fs, std::chrono::seconds(5),
//       mp::return_when::first_exception);
//
//   // Results as they come, whatever order they were started in:
//   for (std::size_t i : mp::as_completed(fs)) std::cout << fs[i].get();
//
//   // Futures of different result types: a braced list of views.
//   mp::future<std::string> name = mp::async(lookup);
//   mp::wait({fs[0], name}, mp::return_when::first_completed);
//
// The waits are event driven: one poll() on the pidfds of async() children
// and on one eventfd that pool tasks signal when their outcome is set. No
// thread, sleep or polling loop per future.
//
// A future is done when get() would not block: it has a value, an
// exception, a death (process_died), a timeout (timeout_error) or a
// cancellation (cancelled_error). Waiting takes nothing: get() still
// returns the value or throws afterwards.
#pragma once

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <iterator>
#include <memory>
#include <optional>
#include <ranges>
#include <span>
#include <type_traits>
#include <vector>

#include "multiproc/detail/deadline.hpp"
#include "multiproc/future.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// When wait() returns. Python: concurrent.futures.FIRST_COMPLETED,
/// FIRST_EXCEPTION, ALL_COMPLETED (spelt in the house's snake_case: capitals
/// are for macros here).
enum class return_when {
  /// As soon as any future is done (at once if one already is).
  first_completed,
  /// As soon as any future is done with a failure: get() would throw the
  /// task's exception, process_died or timeout_error. A cancelled future is
  /// done but is not a failure here, as in Python. With no failure it is
  /// all_completed.
  first_exception,
  /// When every future is done.
  all_completed,
};

/// A view of a future of any result type, for waiting on futures of mixed
/// types. It refers to the future's shared state, not to the future
/// object: moving the future elsewhere keeps the view usable; destroying
/// it does not.
/// Python: no equivalent (Python's wait() takes futures of any result, the
/// language being untyped).
class waitable_future {
 public:
  /// A view of `f`, or of nothing when `f` is invalid (wait() and
  /// as_completed() then throw std::future_error with no_state).
  /// Python: no equivalent.
  template <class R>
  waitable_future(const future<R>& f) noexcept  // NOLINT: implicit on purpose
      : core_(f.core_ != nullptr && !f.core_->retrieved.load() ? f.core_.get()
                                                               : nullptr) {}
  /// No views of temporaries: as_completed() iterates after the full
  /// expression that made them (the view would dangle), and nobody could
  /// get() a temporary's result anyway.
  template <class R>
  waitable_future(future<R>&&) = delete;

  /// The future's core, or null for an invalid future (internal).
  /// Python: no equivalent.
  detail::future_core* core() const noexcept { return core_; }

 private:
  detail::future_core* core_;
};

/// What wait() found. Python: DoneAndNotDoneFutures (a named tuple of two
/// sets); here positions in the list given to wait(), each ascending, so
/// that `auto [done, not_done] = mp::wait(fs);` reads as in Python.
struct done_and_not_done {
  std::vector<std::size_t> done;
  std::vector<std::size_t> not_done;
};

namespace detail {

done_and_not_done wait_futures(std::span<const waitable_future> futures,
                               std::optional<steady_deadline> deadline,
                               return_when when);

/// The state of one as_completed() iteration (src/futures_wait.cpp).
class completion_order;
struct completion_order_deleter {
  void operator()(completion_order* order) const noexcept;
};
using completion_order_ptr =
    std::unique_ptr<completion_order, completion_order_deleter>;
completion_order_ptr make_completion_order(
    std::span<const waitable_future> futures,
    std::optional<steady_deadline> deadline, std::chrono::nanoseconds timeout);
/// The next position done, or empty when every one has been reported.
/// Errors: timeout_error once the deadline has passed with some not done.
std::optional<std::size_t> next_completed(completion_order& order);

template <class T>
inline constexpr bool is_future_v = false;
template <class R>
inline constexpr bool is_future_v<future<R>> = true;

/// A range of future<R> objects (a std::vector<future<int>>, a span...).
template <class Range>
concept future_range = std::ranges::input_range<Range> &&
    std::is_lvalue_reference_v<std::ranges::range_reference_t<Range>> &&
    is_future_v<std::remove_cvref_t<std::ranges::range_reference_t<Range>>>;

template <class Range>
std::vector<waitable_future> views_of(Range&& futures) {
  std::vector<waitable_future> views;
  if constexpr (std::ranges::sized_range<Range>) {
    views.reserve(std::ranges::size(futures));
  }
  for (const auto& f : futures) views.emplace_back(f);
  return views;
}

}  // namespace detail

/// Blocks until `when` is satisfied (by default: every future is done).
/// Returns the positions of the futures that are done and of those that
/// are not, each ascending. An empty list returns at once. Takes nothing:
/// get() on a done future then returns or throws without blocking.
/// Preconditions: the futures outlive the call.
/// Errors: std::future_error (no_state) when a future is invalid (moved
/// from, or its result already taken by get()); std::system_error when
/// the OS refuses (out of fds for the eventfd).
/// Thread safety: other threads may cancel() the futures meanwhile, and
/// several threads may wait on the same futures at once.
/// Python: concurrent.futures.wait(fs, return_when=...); duplicates are kept
/// (each position is reported) instead of folded into a set.
inline done_and_not_done wait(std::span<const waitable_future> futures,
                              return_when when = return_when::all_completed) {
  return detail::wait_futures(futures, std::nullopt, when);
}
/// As above, giving up when `timeout` passes (zero or negative: look once;
/// huge, duration::max() included: no limit). A timeout is not an error:
/// what is done by then is in `done`, the rest in `not_done`.
/// Python: concurrent.futures.wait(fs, timeout, return_when).
/// Errors: as wait(futures, when).
template <class Rep, class Period>
done_and_not_done wait(std::span<const waitable_future> futures,
                       std::chrono::duration<Rep, Period> timeout,
                       return_when when = return_when::all_completed) {
  return detail::wait_futures(futures, detail::deadline_after(timeout), when);
}
/// Futures of mixed result types: `mp::wait({f1, f2}, ...)`; positions
/// count in the braced list.
/// Python: concurrent.futures.wait([f1, f2], ...).
/// Errors: as wait(futures, when).
inline done_and_not_done wait(std::initializer_list<waitable_future> futures,
                              return_when when = return_when::all_completed) {
  return wait(std::span(futures.begin(), futures.size()), when);
}
template <class Rep, class Period>
done_and_not_done wait(std::initializer_list<waitable_future> futures,
                       std::chrono::duration<Rep, Period> timeout,
                       return_when when = return_when::all_completed) {
  return wait(std::span(futures.begin(), futures.size()), timeout, when);
}
/// A range of futures of one type (std::vector<future<R>>, ...); positions
/// count from the range's beginning.
/// Python: concurrent.futures.wait(fs, ...).
/// Errors: as wait(futures, when); std::bad_alloc.
template <detail::future_range Range>
done_and_not_done wait(Range&& futures,
                       return_when when = return_when::all_completed) {
  const auto views = detail::views_of(futures);
  return wait(std::span<const waitable_future>(views), when);
}
template <detail::future_range Range, class Rep, class Period>
done_and_not_done wait(Range&& futures,
                       std::chrono::duration<Rep, Period> timeout,
                       return_when when = return_when::all_completed) {
  const auto views = detail::views_of(futures);
  return wait(std::span<const waitable_future>(views), timeout, when);
}

/// The positions of futures, in the order they become done (those done
/// already first, in list order), each once: what as_completed() returns.
/// An input range: iterating blocks for the next one. Move-only.
///
/// Errors from begin() and ++: timeout_error when the timeout given to
/// as_completed() has passed with futures still not done; what() is
/// Python's, "2 (of 5) futures unfinished", and timeout() is the timeout
/// given. Nothing is killed. Iteration may go on after it (begin() again,
/// or ++ on the iterator): a step reports a future that has finished
/// meanwhile, or throws again at once.
/// std::system_error when the OS refuses.
/// Thread safety: one thread iterates; others may cancel() the futures.
/// Python: the iterator concurrent.futures.as_completed() returns.
class as_completed_range {
 public:
  /// An input iterator over the positions (see the class). Python: the
  /// iterator protocol of as_completed()'s generator.
  class iterator {
   public:
    using value_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    /// A singular iterator, for the input-iterator concept. Python: no
    /// equivalent.
    iterator() = default;
    /// The position of the future that became done.
    /// Preconditions: not at the end (after a step that threw, it still
    /// holds the position before).
    /// Python: the value next() returns. Errors: none.
    std::size_t operator*() const { return *range_->current_; }
    /// Blocks until the next future is done (or the timeout passes).
    /// Python: next(it).
    /// Errors: timeout_error("N (of M) futures unfinished") when the
    /// timeout passes first; std::system_error when the OS refuses.
    iterator& operator++() {
      range_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    /// At the end: every future has been reported. Python: StopIteration.
    /// Errors: none.
    friend bool operator==(const iterator& it, std::default_sentinel_t) {
      return it.at_end();
    }

   private:
    friend class as_completed_range;
    explicit iterator(as_completed_range* range) : range_(range) {}
    bool at_end() const { return !range_->current_.has_value(); }
    as_completed_range* range_ = nullptr;
  };

  /// For as_completed() (internal). Python: no equivalent.
  explicit as_completed_range(detail::completion_order_ptr order) noexcept
      : order_(std::move(order)) {}
  as_completed_range(as_completed_range&&) noexcept = default;
  as_completed_range& operator=(as_completed_range&&) noexcept = default;

  /// Blocks until the first future is done. Later calls return an iterator
  /// at the current position, except after a timeout_error, when begin()
  /// looks for the next future again.
  /// Python: iter() and the first next() of as_completed()'s generator.
  /// Errors: as iterator::operator++.
  iterator begin() {
    if (need_next_) advance();
    return iterator(this);
  }
  /// The end, compared with the iterator. Python: StopIteration.
  std::default_sentinel_t end() const noexcept { return {}; }

 private:
  void advance() {
    need_next_ = true;
    current_ = detail::next_completed(*order_);
    need_next_ = false;
  }

  detail::completion_order_ptr order_;
  std::optional<std::size_t> current_;
  bool need_next_ = true;
};

/// Python's concurrent.futures.as_completed(fs, timeout): yields the
/// position of each future as it becomes done.
///
///   for (std::size_t i : mp::as_completed(fs, std::chrono::seconds(30))) {
///     try { use(fs[i].get()); } catch (const std::exception& e) { ... }
///   }
///
/// The futures are checked here (std::future_error with no_state for an
/// invalid one); the timeout runs from this call, over the whole iteration
/// (zero or negative: only those done by then; huge: no limit).
/// Preconditions: the futures outlive the iteration. Calling get() on them
/// meanwhile is allowed (and the point).
/// Python: duplicates are reported at each position, not folded.
/// Errors: std::future_error (no_state) here for an invalid future;
/// std::bad_alloc. Iterating: timeout_error, and std::system_error when
/// the OS refuses (out of fds for the eventfd), see as_completed_range.
inline as_completed_range as_completed(
    std::span<const waitable_future> futures) {
  return as_completed_range(detail::make_completion_order(
      futures, std::nullopt, std::chrono::nanoseconds::max()));
}
/// With a timeout over the whole iteration, as described above.
/// Python: concurrent.futures.as_completed(fs, timeout).
/// Errors: as as_completed(futures); iterating: timeout_error("N (of M)
/// futures unfinished") once the timeout passes with futures not done.
template <class Rep, class Period>
as_completed_range as_completed(std::span<const waitable_future> futures,
                                std::chrono::duration<Rep, Period> timeout) {
  return as_completed_range(
      detail::make_completion_order(futures, detail::deadline_after(timeout),
                                    detail::saturating_nanoseconds(timeout)));
}
/// Futures of mixed result types: `mp::as_completed({f1, f2})`.
/// Python: concurrent.futures.as_completed([f1, f2]).
/// Errors: as as_completed(futures).
inline as_completed_range as_completed(
    std::initializer_list<waitable_future> futures) {
  return as_completed(std::span(futures.begin(), futures.size()));
}
template <class Rep, class Period>
as_completed_range as_completed(std::initializer_list<waitable_future> futures,
                                std::chrono::duration<Rep, Period> timeout) {
  return as_completed(std::span(futures.begin(), futures.size()), timeout);
}
/// A range of futures of one type; it must outlive the iteration (hence
/// an lvalue).
/// Python: concurrent.futures.as_completed(fs[, timeout]).
/// Errors: as as_completed(futures[, timeout]).
template <detail::future_range Range>
as_completed_range as_completed(Range& futures) {
  const auto views = detail::views_of(futures);
  return as_completed(std::span<const waitable_future>(views));
}
template <detail::future_range Range, class Rep, class Period>
as_completed_range as_completed(Range& futures,
                                std::chrono::duration<Rep, Period> timeout) {
  const auto views = detail::views_of(futures);
  return as_completed(std::span<const waitable_future>(views), timeout);
}

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
