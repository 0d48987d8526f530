// multiproc/queue.hpp — queues between processes that never show half an
// item and say so when nobody is left on the other side (API.md Part 4).
//
//   mp::queue<std::int64_t> q(1000);           // Python: Queue(1000)
//   mp::process worker([q]() mutable {
//     try {
//       for (;;) handle(q.get());
//     } catch (const mp::eof_error&) {}        // "all producers gone"
//   });
//   worker.start();
//   for (std::int64_t i = 0; i < n; ++i) q.put(i);
//   q.close();                                 // this process is done: the
//   worker.join();                             // worker sees EOF when empty
//
// put() is synchronous: the item is encoded in the caller (a trivially
// copyable T is copied as its bytes, with no encoding and no allocation)
// and copied into shared memory before put() returns; a producer may _exit
// right after and the item is there. There is no feeder thread. An item is
// visible only whole: a producer killed inside put() leaves nothing, and a
// consumer killed inside get() leaves the item for the next get(), so every
// item whose put() returned is got exactly once (or stays queued).
//
// Dead peers (the sides rule of API.md): a process that holds the queue
// counts as a producer and a consumer, except that once a second process
// has held it, a process that has used only one side counts only on that
// one. A get() that finds the queue empty with no live producer throws
// eof_error("all producers gone"); a put() that would wait for room with no
// live consumer throws broken_pipe_error("all consumers gone") — at once,
// or within 100 ms for one already waiting. A parent that only starts
// workers and never uses the queue counts on both sides: it calls close().
//
// Handles: copies (here, or in fork children) are the same queue; copying
// is cheap and noexcept. A queue reaches another process only by fork:
// create it before start()/async()/the pool and capture it. Each queue is
// one mapping of its own (no file descriptor stays open, nothing is named);
// its memory goes back to the system when the last process lets go.
//
// Thread safety: every member may be called from any thread of any process
// at once. A put() synchronizes with the get() that returns its item.
#pragma once

#include <array>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "multiproc/codec.hpp"
#include "multiproc/detail/channel_items.hpp"
#include "multiproc/detail/channel_ring.hpp"
#include "multiproc/detail/deadline.hpp"
#include "multiproc/detail/sync_handle_traits.hpp"
#include "multiproc/errors.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// Python: as the class comment says. Errors: as the class comment lists.
struct queue_options {
  /// Items at most; 0: no item limit of Python's kind (the ring then holds
  /// up to 8,192 items at once).
  std::size_t maxsize = 0;
  /// Encoded bytes held at most, and the largest item. Address space, not
  /// memory: only what is held uses memory.
  std::size_t max_bytes = std::size_t{1} << 30;
};

/// Python's multiprocessing.Queue, with put() synchronous and counts exact.
///
/// Errors: construction throws std::system_error when the OS refuses the
/// memory. put*(): std::length_error("item of N bytes is larger than
/// max_bytes (M)") and nothing queued; whatever encoding throws (the queue
/// unchanged); broken_pipe_error("all consumers gone...") when it would
/// wait with no live consumer, ("queue shut down...") after shutdown().
/// get*(): eof_error("all producers gone") when empty with no live
/// producer, ("queue shut down") after shutdown() once empty; codec_error
/// for bytes a user codec cannot read (the item is consumed). put*()/get*()
/// after this process's close(): usage_error("Queue <multiproc::queue
/// object at 0x...> is closed"). A timeout is not an error: put(x, t)
/// returns false, get(t) an empty optional.
/// Python: multiprocessing.Queue (Full/Empty become false/nullopt).
template <class T>
class queue {
 public:
  /// Queue(): no item limit, max_bytes 1 GiB.
  /// Python: as the class comment says. Errors: as the class comment lists.
  queue() : queue(queue_options{}) {}
  /// Queue(maxsize).
  /// Python: as the class comment says. Errors: as the class comment lists.
  explicit queue(std::size_t maxsize)
      : queue(queue_options{.maxsize = maxsize}) {}
  /// Python: as the class comment says. Errors: as the class comment lists.
  explicit queue(queue_options options) : queue(options, "Queue") {}

  /// Waits for room without limit.
  /// Python: as the class comment says. Errors: those of put*() in the class
  /// comment.
  void put(const T& item) {
    (void)detail::channel::put_item(ring_, item, std::nullopt);
  }
  /// False when `timeout` passed without room (Python: Full).
  /// Python: as the class comment says. Errors: those of put*() in the class
  /// comment.
  template <class Rep, class Period>
  [[nodiscard]] bool put(const T& item,
                         std::chrono::duration<Rep, Period> timeout) {
    return detail::channel::put_item(ring_, item,
                                     detail::deadline_after(timeout));
  }
  /// Python: as the class comment says. Errors: those of put*() in the class
  /// comment.
  template <class Clock, class Duration>
  [[nodiscard]] bool put_until(
      const T& item, std::chrono::time_point<Clock, Duration> deadline) {
    return detail::wait_until_deadline(
        deadline, [&](const std::optional<detail::steady_deadline>& at) {
          return detail::channel::put_item(ring_, item, at);
        });
  }
  /// One try: false when full (Python: Full).
  /// Python: as the class comment says. Errors: those of put*() in the class
  /// comment.
  [[nodiscard]] bool put_nowait(const T& item) {
    return detail::channel::put_item(ring_, item,
                                     std::chrono::steady_clock::now());
  }

  /// Waits for an item without limit.
  /// Python: as the class comment says. Errors: those of get*() in the class
  /// comment.
  T get() { return *detail::channel::get_item<T>(ring_, std::nullopt); }
  /// Empty when `timeout` passed with nothing there (Python: Empty).
  /// Python: as the class comment says. Errors: those of get*() in the class
  /// comment.
  template <class Rep, class Period>
  std::optional<T> get(std::chrono::duration<Rep, Period> timeout) {
    return detail::channel::get_item<T>(ring_, detail::deadline_after(timeout));
  }
  /// Python: as the class comment says. Errors: those of get*() in the class
  /// comment.
  template <class Clock, class Duration>
  std::optional<T> get_until(
      std::chrono::time_point<Clock, Duration> deadline) {
    std::optional<T> got;
    (void)detail::wait_until_deadline(
        deadline, [&](const std::optional<detail::steady_deadline>& at) {
          got = detail::channel::get_item<T>(ring_, at);
          return got.has_value();
        });
    return got;
  }
  /// One try: empty when nothing is there (Python: Empty).
  /// Python: as the class comment says. Errors: those of get*() in the class
  /// comment.
  std::optional<T> get_nowait() {
    return detail::channel::get_item<T>(ring_,
                                        std::chrono::steady_clock::now());
  }

  /// Exact: items whose put() returned and that no get() has taken.
  /// Python: as the class comment says. Errors: as the class comment lists.
  std::size_t qsize() const { return ring_.qsize(); }
  /// Python: as the class comment says. Errors: as the class comment lists.
  bool empty() const { return qsize() == 0; }
  /// qsize() >= maxsize (when set), or the bytes held reached max_bytes.
  /// Python: as the class comment says. Errors: those of put*() in the class
  /// comment.
  bool full() const { return ring_.full(); }
  /// This process puts and gets no more and stops holding the queue;
  /// idempotent; loses nothing. Python: Queue.close().
  void close() noexcept { ring_.close(); }
  /// For every process (Python 3.13's queue.Queue.shutdown): later puts
  /// throw broken_pipe_error("queue shut down"); gets return what is left,
  /// then throw eof_error("queue shut down"); `immediate` discards what is
  /// left. Every waiter wakes now.
  /// Python: as the class comment says. Errors: as the class comment lists.
  void shutdown(bool immediate = false) { ring_.shutdown(immediate); }

 protected:
  queue(queue_options options, const char* kind, bool joinable = false)
      : ring_({options.maxsize, options.max_bytes, kind, joinable,
               detail::channel::travels_as_bytes<T> ? sizeof(T) : 0}) {}
  friend std::uint64_t handle_birth(const queue& q) noexcept {
    return q.ring_.birth();
  }
  detail::channel::ring ring_;
};

/// Python's JoinableQueue: put() adds an unfinished task, task_done()
/// finishes one, join() waits until none is left.
///
/// A process that ends holding items it got and did not task_done() loses
/// them: they stop counting as unfinished (join() returns promptly) and
/// lost_tasks() counts them. task_done() settles this process's own items
/// first, then others'.
///
/// Errors: as queue, with "JoinableQueue <multiproc::joinable_queue object
/// at 0x...> is closed"; task_done() with no unfinished task anywhere
/// throws usage_error("task_done() called too many times"); join() with
/// items still queued and no live consumer throws broken_pipe_error("all
/// consumers gone") instead of waiting forever.
/// Python: multiprocessing.JoinableQueue (join(t) is beyond Python).
template <class T>
class joinable_queue : public queue<T> {
 public:
  /// Python: as the class comment says. Errors: as the class comment lists.
  joinable_queue() : joinable_queue(queue_options{}) {}
  /// Python: as the class comment says. Errors: as the class comment lists.
  explicit joinable_queue(std::size_t maxsize)
      : joinable_queue(queue_options{.maxsize = maxsize}) {}
  /// Python: as the class comment says. Errors: as the class comment lists.
  explicit joinable_queue(queue_options options)
      : queue<T>(options, "JoinableQueue", true) {}

  /// Python: as the class comment says. Errors: those of put*() in the class
  /// comment.
  void task_done() { this->ring_.task_done(); }
  /// Waits without limit until every item put has been task_done().
  /// Python: as the class comment says. Errors: as the class comment lists.
  void join() { (void)this->ring_.join(std::nullopt); }
  /// False when `timeout` passed first.
  /// Python: as the class comment says. Errors: as the class comment lists.
  template <class Rep, class Period>
  bool join(std::chrono::duration<Rep, Period> timeout) {
    return this->ring_.join(detail::deadline_after(timeout));
  }
  /// Python: as the class comment says. Errors: as the class comment lists.
  template <class Clock, class Duration>
  bool join_until(std::chrono::time_point<Clock, Duration> deadline) {
    return detail::wait_until_deadline(
        deadline, [&](const std::optional<detail::steady_deadline>& at) {
          return this->ring_.join(at);
        });
  }
  /// Items got by processes that ended before task_done().
  /// Python: as the class comment says. Errors: as the class comment lists.
  std::size_t lost_tasks() const { return this->ring_.lost_tasks(); }
};

/// Python's SimpleQueue: put, get, empty, close; no maxsize, no timeouts;
/// the same whole-item and gone-peer rules as queue, max_bytes 1 GiB.
///
/// Errors: as queue; after this process's close(), every call but close()
/// throws usage_error("handle is closed").
/// Python: multiprocessing.SimpleQueue.
template <class T>
class simple_queue {
 public:
  /// Python: as the class comment says. Errors: as the class comment lists.
  simple_queue()
      : ring_({0, std::size_t{1} << 30, "SimpleQueue", false,
               detail::channel::travels_as_bytes<T> ? sizeof(T) : 0}) {}
  /// Python: as the class comment says. Errors: those of put*() in the class
  /// comment.
  void put(const T& item) {
    (void)detail::channel::put_item(ring_, item, std::nullopt);
  }
  /// Python: as the class comment says. Errors: those of get*() in the class
  /// comment.
  T get() { return *detail::channel::get_item<T>(ring_, std::nullopt); }
  /// Python: as the class comment says. Errors: as the class comment lists.
  bool empty() const {
    if (ring_.closed()) throw usage_error("handle is closed");
    return ring_.qsize() == 0;
  }
  /// Python: as the class comment says. Errors: as the class comment lists.
  void close() noexcept { ring_.close(); }

 private:
  friend std::uint64_t handle_birth(const simple_queue& q) noexcept {
    return q.ring_.birth();
  }
  detail::channel::ring ring_;
};

namespace detail::sync {
/// Marks queue as a handle that may be inherited by children; no Python
/// equivalent.
template <class T>
struct is_handle<queue<T>> : std::true_type {
  static constexpr const char* python_name = "Queue";
};
/// Marks joinable_queue as a handle that may be inherited by children; no
/// Python equivalent.
template <class T>
struct is_handle<joinable_queue<T>> : std::true_type {
  static constexpr const char* python_name = "JoinableQueue";
};
/// Marks simple_queue as a handle that may be inherited by children; no
/// Python equivalent.
template <class T>
struct is_handle<simple_queue<T>> : std::true_type {
  static constexpr const char* python_name = "SimpleQueue";
};
}  // namespace detail::sync

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
