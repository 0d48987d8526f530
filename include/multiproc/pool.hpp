// multiproc/pool.hpp — a pool of worker processes: Python's
// multiprocessing.Pool and concurrent.futures.ProcessPoolExecutor, without
// their hangs.
//
//   namespace mp = multiproc;
//   int square(int x) { return x * x; }
//
//   mp::pool workers;                                  // cpu_count() workers
//   std::vector<int> squares = workers.map(square, std::vector{1, 2, 3});
//   mp::future<int> f = workers.submit(square, 7);     // f.get() == 49
//   for (int s : workers.imap(square, some_range)) use(s);  // lazy, in order
//
// Workers are forked when the pool is built, so everything the parent made
// before that is in every worker, as it was then, for free (Python's
// initializer pattern without pickling). A task is a callable that needs no
// state of its own — a function pointer, a captureless lambda, an empty
// function-object type — plus arguments, which travel to the worker through
// multiproc::codec, as results travel back. Anything else fails to compile
// with a message saying so.
//
// What Python gets wrong and this pool does not (spec/pools.md):
// - a worker that dies fails only the task it was running (process_died);
//   the worker is replaced and every other task carries on;
// - a task can have a timeout (pool-wide default and per task): when it
//   passes, the worker's process group is killed, the task fails with
//   timeout_error and the worker is replaced;
// - cancel() removes a queued task, and stops a running one by killing and
//   replacing its worker;
// - terminate() escalates from SIGTERM to SIGKILL after `kill_grace`, so a
//   worker that ignores SIGTERM cannot hang it; unfinished tasks fail with
//   cancelled_error instead of never completing;
// - no lock is shared between processes, so a worker killed at any moment
//   cannot deadlock the others.
//
// Replacement workers are forked from the parent when they are needed, so
// they see the parent as it is then. DANGER: as with any fork, locks that
// other threads of the parent hold at that moment stay locked in the new
// worker (see the Gotchas in the README).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "multiproc/codec.hpp"
#include "multiproc/detail/pool_engine.hpp"
#include "multiproc/detail/pool_tasks.hpp"
#include "multiproc/future.hpp"

namespace multiproc {

struct pool_options {
  /// Number of workers; 0: cpu_count().
  unsigned processes = 0;
  /// Runs once in each worker, after the fork and before its first task. If
  /// it throws, the pool is broken: every task fails (process_died, with
  /// the initializer's message) and no worker is started again (Python
  /// instead restarts workers forever, gh-87472).
  std::function<void()> initializer{};
  /// A worker exits after this many tasks (a map chunk counts as one) and
  /// is replaced; 0: no limit.
  unsigned max_tasks_per_child = 0;
  /// Default timeout of every task; empty: none.
  std::optional<std::chrono::nanoseconds> task_timeout{};
  /// terminate(): time between SIGTERM and SIGKILL.
  std::chrono::nanoseconds kill_grace = std::chrono::seconds(1);
};

struct task_options {
  /// Overrides pool_options::task_timeout for this task. It counts from the
  /// moment a worker starts the task.
  std::optional<std::chrono::nanoseconds> timeout{};
};

struct map_options {
  /// Items per task. 0: ceil(n / (4 × processes)) for map and starmap (as
  /// Python's Pool.map), 1 for imap and imap_unordered.
  std::size_t chunksize = 0;
  /// Called on the calling thread as chunks complete, with the number of
  /// items done and the total (imap: the total so far read).
  std::function<void(std::size_t done, std::size_t total)> progress{};
};

/// The type a pool task returns: fn invoked with decayed arguments. (A
/// placeholder when it cannot be invoked so, after one static_assert saying
/// why: detail/task_checks.hpp.)
template <class F, class... Args>
using pool_result_t =
    detail::task_result_t<std::decay_t<F>&, std::decay_t<Args>&&...>;

namespace detail {

/// Counts the items of completed tasks, and queues completed tasks for
/// imap_unordered; fed by task_record::on_done on the dispatcher thread.
class completion_queue {
 public:
  /// The task_record::on_done of a task with `items` items. Holds neither
  /// the queue nor the task (either may be gone first: an abandoned imap),
  /// so no reference cycle runs through the queue. With `queue_tasks`,
  /// completed tasks are queued for pop(); otherwise only counted.
  static std::function<void()> notifier(
      const std::shared_ptr<completion_queue>& queue,
      const std::shared_ptr<task_record>& task, std::size_t items,
      bool queue_tasks) {
    return [weak_queue = std::weak_ptr<completion_queue>(queue),
            weak_task = std::weak_ptr<task_record>(task), items, queue_tasks] {
      auto q = weak_queue.lock();
      if (!q) return;
      q->push(queue_tasks ? weak_task.lock() : nullptr, items);
    };
  }

  void push(std::shared_ptr<task_record> task, std::size_t items) {
    {
      std::lock_guard lock(mutex_);
      if (task) done_.push_back(std::move(task));
      items_done_ += items;
    }
    changed_.notify_all();
  }
  /// Waits for the next completed task (in completion order).
  std::shared_ptr<task_record> pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !done_.empty(); });
    auto task = std::move(done_.front());
    done_.pop_front();
    return task;
  }
  std::size_t items_done() const {
    std::lock_guard lock(mutex_);
    return items_done_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<task_record>> done_;
  std::size_t items_done_ = 0;
};

/// The lazy range behind imap (Ordered) and imap_unordered.
template <class F, class R, class Item, bool Star, bool Ordered, class View>
class lazy_map {
 public:
  lazy_map(std::shared_ptr<pool_engine> engine, F fn, View input,
           std::size_t chunksize, map_options options,
           std::optional<std::chrono::nanoseconds> timeout)
      : engine_(std::move(engine)),
        fn_(fn),
        input_(std::move(input)),
        chunksize_(chunksize),
        read_ahead_(kReadAheadPerWorker * engine_->processes()),
        options_(std::move(options)),
        timeout_(timeout) {}

  class iterator {
   public:
    using value_type = R;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    iterator() = default;
    explicit iterator(lazy_map* owner) : owner_(owner) {}
    /// The current item. Errors: the exception of the item's task
    /// (a chunk that failed yields one error, then iteration goes on).
    R& operator*() const { return owner_->current(); }
    iterator& operator++() {
      owner_->advance();
      return *this;
    }
    void operator++(int) { ++*this; }
    friend bool operator==(const iterator& it, std::default_sentinel_t) {
      return it.at_end();
    }

   private:
    bool at_end() const { return owner_ == nullptr || owner_->finished_; }

    lazy_map* owner_ = nullptr;
  };

  /// Starts reading the input. Call once (an input range).
  iterator begin() {
    if (!started_) {
      started_ = true;
      next_input_ = std::ranges::begin(input_);
      fetch();
    }
    return iterator(this);
  }
  std::default_sentinel_t end() const { return {}; }

 private:
  struct pending {
    std::shared_ptr<task_record> task;
    std::size_t items;
  };

  // Chunks in flight per worker: enough to keep every worker's pipeline
  // full of tiny tasks (a round trip per chunk otherwise limits imap), few
  // enough that the input is read only a bounded way ahead.
  static constexpr std::size_t kReadAheadPerWorker = 16;

  R& current() {
    if (error_) std::rethrow_exception(error_);
    return results_[position_];
  }

  void advance() {
    if (error_ || ++position_ >= results_.size()) fetch();
  }

  void refill() {
    while (window_.size() < read_ahead_ &&
           next_input_ != std::ranges::end(input_)) {
      auto task = std::make_shared<task_record>();
      task->entry = &chunk_entry<F, R, Item, Star>;
      task->timeout = timeout_;
      encoder out;
      write_callable(out, fn_);
      // Gather up to chunksize items; the input is read only this far.
      std::vector<Item> items;
      while (items.size() < chunksize_ &&
             next_input_ != std::ranges::end(input_)) {
        items.push_back(*next_input_);
        ++next_input_;
      }
      write_chunk<Item>(out, items.begin(), items.size());
      task->input = std::move(out).take_bytes();
      const std::size_t count = items.size();
      task->on_done =
          completion_queue::notifier(completed_, task, count, !Ordered);
      total_ += count;
      engine_->submit(task);
      window_.push_back({std::move(task), count});
    }
  }

  // Makes the results of the next finished chunk current; at the end of
  // input and work, marks the range finished.
  void fetch() {
    results_.clear();
    position_ = 0;
    error_ = nullptr;
    refill();
    if (window_.empty()) {
      finished_ = true;
      return;
    }
    std::shared_ptr<task_record> task;
    if constexpr (Ordered) {
      task = std::move(window_.front().task);
      window_.pop_front();
      task->wait_until(std::nullopt);
    } else {
      task = completed_->pop();
      std::erase_if(window_, [&](const pending& p) { return p.task == task; });
    }
    report_progress();
    if (task->outcome == task_outcome::value) {
      results_ = decode<std::vector<R>>(task->payload);
      if (results_.empty()) {
        fetch();  // an empty chunk cannot happen, but never yield nothing
        return;
      }
    } else {
      try {
        throw_task_failure(*task);
      } catch (...) {
        error_ = std::current_exception();
      }
    }
    refill();
  }

  void report_progress() {
    if (options_.progress) options_.progress(completed_->items_done(), total_);
  }

  std::shared_ptr<pool_engine> engine_;
  F fn_;
  View input_;
  std::ranges::iterator_t<View> next_input_{};
  std::size_t chunksize_;
  std::size_t read_ahead_;
  map_options options_;
  std::optional<std::chrono::nanoseconds> timeout_;
  std::shared_ptr<completion_queue> completed_ =
      std::make_shared<completion_queue>();
  std::deque<pending> window_;
  std::vector<R> results_;
  std::size_t position_ = 0;
  std::exception_ptr error_;
  std::size_t total_ = 0;
  bool started_ = false;
  bool finished_ = false;
};

}  // namespace detail

/// A pool of worker processes.
/// Thread safety: every member may be called from several threads at once.
class pool {
 public:
  /// Forks the workers now.
  /// Errors: std::system_error when a worker cannot be started (the ones
  /// already started are stopped); usage_error("Number of processes must
  /// be at least 1").
  explicit pool(pool_options options = {});
  /// close(), then join(): submitted work finishes first (like
  /// concurrent.futures' shutdown(wait=True); Python's Pool context manager
  /// terminates instead). Never throws.
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  unsigned processes() const noexcept { return engine_->processes(); }

  /// Queues fn(args...) and returns its future. The arguments are encoded
  /// now (through multiproc::codec) and decoded in the worker.
  /// Errors: usage_error("Pool not running") after close() or terminate().
  template <class F, class... Args>
  future<pool_result_t<F, Args...>> submit(task_options options, F fn,
                                           Args&&... args) {
    using result = pool_result_t<F, Args...>;
    using arguments = std::tuple<std::decay_t<Args>...>;
    if constexpr (!detail::check_pool_task<F, std::decay_t<Args>...>()) {
      return future<result>();  // one static_assert has said why
    } else {
      auto task = std::make_shared<detail::task_record>();
      task->entry = &detail::call_entry<F, result, arguments>;
      task->timeout = options.timeout ? options.timeout : task_timeout_;
      encoder out;
      detail::write_callable(out, fn);
      out.write(arguments(std::forward<Args>(args)...));
      task->input = std::move(out).take_bytes();
      engine_->submit(task);
      return future<result>(
          detail::make_pool_future_core(engine_, std::move(task)));
    }
  }
  template <class F, class... Args>
  requires(!std::same_as<std::remove_cvref_t<F>, task_options>)
      future<pool_result_t<F, Args...>> submit(F fn, Args&&... args) {
    return submit(task_options{}, fn, std::forward<Args>(args)...);
  }

  /// submit(fn, args...).get(). Python: Pool.apply.
  template <class F, class... Args>
  pool_result_t<F, Args...> apply(F fn, Args&&... args) {
    return submit(fn, std::forward<Args>(args)...).get();
  }

  /// fn applied to every item, results in input order. The input is read
  /// whole first, as Python does. If tasks fail, every task still runs to
  /// its end and then the failure of the earliest item is thrown.
  /// Errors: the task's exception; process_died; timeout_error;
  /// usage_error("Pool not running").
  template <class F, class Range>
  auto map(F fn, Range&& inputs, map_options options = {}) {
    using item = std::ranges::range_value_t<Range>;
    if constexpr (!detail::check_pool_task<F, item>()) {
      return std::vector<pool_result_t<F, item>>();  // see the static_assert
    } else {
      return map_impl<F, item, false>(fn, std::forward<Range>(inputs),
                                      std::move(options));
    }
  }

  /// As map, with each item a tuple (or pair) of arguments: fn(a, b, ...).
  template <class F, class Range>
  auto starmap(F fn, Range&& tuples, map_options options = {}) {
    using item = std::ranges::range_value_t<Range>;
    if constexpr (!detail::check_pool_star_task<F, item>()) {
      return std::vector<detail::invalid_task_result>();  // see the assert
    } else {
      return map_impl<F, item, true>(fn, std::forward<Range>(tuples),
                                     std::move(options));
    }
  }

  /// A lazy input range of fn(item) in input order. The input is read only
  /// as far as a bounded window of work ahead of the consumer. An item's
  /// exception is thrown when that item is dereferenced; incrementing past
  /// it goes on with the next one (with chunksize > 1, a failed chunk
  /// yields one error in place of its items).
  template <class F, class Range>
  auto imap(F fn, Range&& inputs, map_options options = {}) {
    return lazy<F, true>(fn, std::forward<Range>(inputs), std::move(options));
  }
  /// As imap, in completion order.
  template <class F, class Range>
  auto imap_unordered(F fn, Range&& inputs, map_options options = {}) {
    return lazy<F, false>(fn, std::forward<Range>(inputs), std::move(options));
  }

  /// No new work; queued work still runs. Idempotent.
  void close();
  /// Stops now: queued tasks and running ones fail with cancelled_error;
  /// workers get SIGTERM, then SIGKILL after kill_grace.
  void terminate();
  /// Waits until every worker has exited.
  /// Errors: usage_error("Pool is still running") before close() or
  /// terminate().
  void join();

 private:
  template <class F, class Item, bool Star>
  static auto result_of_item() {
    if constexpr (Star) {
      return std::type_identity<std::remove_cvref_t<decltype(std::apply(
          std::declval<F&>(), std::declval<Item&&>()))>>{};
    } else {
      return std::type_identity<pool_result_t<F, Item>>{};
    }
  }
  template <class F, class Item, bool Star>
  using item_result_t =
      typename decltype(result_of_item<F, Item, Star>())::type;

  template <class F, class Item, bool Star, class Range>
  std::vector<item_result_t<F, Item, Star>> map_impl(
      F fn, Range&& inputs, const map_options& options) {
    detail::require_pool_callable<F>();
    using result = item_result_t<F, Item, Star>;
    static_assert(!std::is_void_v<result>,
                  "multiproc::pool::map: the function returns void; use "
                  "submit() for each item instead");
    std::vector<Item> items(std::ranges::begin(inputs),
                            std::ranges::end(inputs));
    if (items.empty()) return {};
    const std::size_t chunk = chunksize_for(items.size(), options.chunksize);
    auto completed = std::make_shared<detail::completion_queue>();
    std::vector<std::shared_ptr<detail::task_record>> tasks;
    for (std::size_t first = 0; first < items.size(); first += chunk) {
      const std::size_t count = std::min(chunk, items.size() - first);
      auto task = std::make_shared<detail::task_record>();
      task->entry = &detail::chunk_entry<F, result, Item, Star>;
      task->timeout = task_timeout_;
      encoder out;
      detail::write_callable(out, fn);
      detail::write_chunk<Item>(
          out, items.begin() + static_cast<std::ptrdiff_t>(first), count);
      task->input = std::move(out).take_bytes();
      task->on_done =
          detail::completion_queue::notifier(completed, task, count, true);
      tasks.push_back(std::move(task));
    }
    engine_->submit(tasks);
    for (std::size_t done = 0; done < tasks.size(); ++done) {
      completed->pop();
      if (options.progress)
        options.progress(completed->items_done(), items.size());
    }
    std::vector<result> results;
    results.reserve(items.size());
    for (const auto& task : tasks) {
      if (task->outcome != detail::task_outcome::value)
        detail::throw_task_failure(*task);
      auto part = decode<std::vector<result>>(task->payload);
      std::move(part.begin(), part.end(), std::back_inserter(results));
    }
    return results;
  }

  template <class F, bool Ordered, class Range>
  auto lazy(F fn, Range&& inputs, map_options options) {
    using view = std::views::all_t<Range>;
    using item = std::ranges::range_value_t<view>;
    using result = item_result_t<F, item, false>;
    if constexpr (!detail::check_pool_task<F, item>()) {
      return std::vector<result>();  // one static_assert has said why
    } else {
      static_assert(!std::is_void_v<result>,
                    "multiproc::pool::imap: the function returns void; use "
                    "submit() for each item instead");
      const std::size_t chunk = options.chunksize != 0 ? options.chunksize : 1;
      return detail::lazy_map<F, result, item, false, Ordered, view>(
          engine_, fn, std::views::all(std::forward<Range>(inputs)), chunk,
          std::move(options), task_timeout_);
    }
  }

  std::size_t chunksize_for(std::size_t items, std::size_t requested) const;

  std::shared_ptr<detail::pool_engine> engine_;
  std::optional<std::chrono::nanoseconds> task_timeout_;
};

}  // namespace multiproc
