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
// initializer pattern without pickling). Under the spawn start method
// (pool_options::start_method, or set_start_method) each worker is instead
// a fresh copy of the program: its globals are as the static initialisers
// left them, and data comes as arguments or through the initializer:
//
//   mp::pool spawned({.start_method = mp::start_method::spawn,
//                     .initializer = {load_table, path}});
//
// A task is a callable that needs no
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
// worker (see the Gotchas in the README). A spawn pool's workers copy
// nothing of the parent, so it is safe in a threaded program.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <ranges>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "multiproc/codec.hpp"
#include "multiproc/detail/pool_engine.hpp"
#include "multiproc/detail/pool_tasks.hpp"
#include "multiproc/detail/sync_handle_traits.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/future.hpp"
#include "multiproc/pool_initializer.hpp"
#include "multiproc/start_method.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// Options fixed when the pool is built.
/// Python: the arguments of Pool(processes, initializer, initargs,
/// maxtasksperchild) and ProcessPoolExecutor(max_workers, initializer,
/// initargs, max_tasks_per_child); task_timeout and kill_grace have no
/// Python equivalent.
struct pool_options {
  /// Number of workers; 0: cpu_count(). Python: processes / max_workers
  /// (None: os.cpu_count(), which counts every CPU).
  unsigned processes = 0;
  /// Runs once in each worker, after it starts and before its first task:
  /// `{fn, args...}` or any callable (multiproc/pool_initializer.hpp). If
  /// it throws, the pool is broken: every task fails (process_died, with
  /// the initializer's message) and no worker is started again (Python
  /// instead restarts workers forever, gh-87472). Under a method other
  /// than fork it must be portable (the pool's constructor checks).
  /// Python: initializer, initargs.
  pool_initializer initializer{};
  /// A worker exits after this many tasks (a map chunk counts as one) and
  /// is replaced; 0: no limit. Python: maxtasksperchild /
  /// max_tasks_per_child.
  unsigned max_tasks_per_child = 0;
  /// Default timeout of every task (of every item, for map and imap);
  /// empty: none. See task_options::timeout.
  std::optional<std::chrono::nanoseconds> task_timeout{};
  /// terminate(): time between SIGTERM and SIGKILL. 100 years or more
  /// (nanoseconds::max()): never SIGKILL.
  std::chrono::nanoseconds kill_grace = std::chrono::seconds(1);
  /// Resource caps of every worker, applied as process_options::limits
  /// (multiproc/limits.hpp) to each worker and its replacements. They count
  /// over a worker's life (CPU time summed over its tasks): use
  /// task_options::limits to cap one task. Empty: none. Python: none.
  std::optional<multiproc::limits> limits{};
  /// Where all workers come from, initial and replacements
  /// (multiproc/start_method.hpp). Empty: the default when the pool is
  /// built. Under spawn a worker is a fresh copy of the program: globals
  /// are as its static initialisers left them, not as the pool's creator
  /// has them; data comes as task arguments or through the initializer.
  /// Python: Pool(context=get_context(method)).
  std::optional<multiproc::start_method> start_method{};
};

/// Options of one submit(). Python: no equivalent.
struct task_options {
  /// Overrides pool_options::task_timeout for this task. It counts from the
  /// moment a worker starts the task: a task that returns after it is a
  /// timeout_error; one still running 10 ms after it is killed with its
  /// worker's process group. Zero or negative: timeout_error at once, no
  /// worker involved. 100 years or more (nanoseconds::max()): no limit.
  std::optional<std::chrono::nanoseconds> timeout{};
  /// Caps for this task alone (multiproc/limits.hpp): its worker lowers its
  /// soft limits for the task and restores them afterwards, so the next
  /// task runs under the worker's own. cpu_time counts from the task's
  /// start; memory caps count the worker's whole address space or data,
  /// what earlier tasks left allocated included. A task past its CPU cap
  /// kills its worker (replaced): process_died saying the CPU time limit
  /// was reached. cpu_time_hard is not allowed here. Empty: none.
  /// Python: none.
  std::optional<multiproc::limits> limits{};
};

/// Options of map, starmap, imap and their variants.
/// Python: the chunksize argument of Pool.map and Pool.imap; progress has
/// no equivalent.
struct map_options {
  /// Items per task. 0: ceil(n / (4 × processes)) for map and starmap (as
  /// Python's Pool.map), 1 for imap and imap_unordered. Ignored (1) when
  /// the pool has a task_timeout, which is then per item.
  /// Python: chunksize.
  std::size_t chunksize = 0;
  /// Called on the calling thread as chunks complete, with the number of
  /// items done and the total (imap: the total so far read). Each count is
  /// reported once, increasing; items cancelled by terminate() or failed by
  /// a broken initializer are not counted.
  std::function<void(std::size_t done, std::size_t total)> progress{};
};

/// The type a pool task returns: fn invoked with decayed arguments. (A
/// placeholder when it cannot be invoked so, after one static_assert saying
/// why: detail/task_checks.hpp.)
template <class F, class... Args>
using pool_result_t =
    detail::task_result_t<std::decay_t<F>&, std::decay_t<Args>&&...>;

/// One item of map_outcomes, imap_outcomes and imap_unordered_outcomes: its
/// position in the input and either its value or its error (the task's
/// exception as its own type, process_died, timeout_error, cancelled_error,
/// or an exception the input range itself threw while being read).
/// Python: no equivalent (the nearest: a done Future's result() or
/// exception()).
template <class R>
class outcome {
 public:
  /// An item that has a value, or (second form) an error. Python: no
  /// equivalent.
  /// Errors: whatever moving R throws.
  outcome(std::size_t index, R value)
      : index_(index), state_(std::in_place_index<0>, std::move(value)) {}
  outcome(std::size_t index, std::exception_ptr error)
      : index_(index), state_(std::in_place_index<1>, std::move(error)) {}

  /// The item's position in the input, from 0. Python: no equivalent.
  std::size_t index() const noexcept { return index_; }
  /// Whether the item has a value (operator bool says the same).
  /// Python: Future.exception() is None.
  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  /// The value. Python: Future.result().
  /// Errors: the item's error, rethrown (the task's exception as its own
  /// type, process_died, timeout_error, cancelled_error, or the input's).
  R& value() & {
    rethrow_if_error();
    return std::get<0>(state_);
  }
  const R& value() const& {
    rethrow_if_error();
    return std::get<0>(state_);
  }
  R&& value() && {
    rethrow_if_error();
    return std::get<0>(std::move(state_));
  }
  /// The error; null when the item has a value. Python: Future.exception().
  std::exception_ptr error() const noexcept {
    return has_value() ? nullptr : std::get<1>(state_);
  }

 private:
  void rethrow_if_error() const {
    if (!has_value()) std::rethrow_exception(std::get<1>(state_));
  }

  std::size_t index_;
  std::variant<R, std::exception_ptr> state_;
};

namespace detail {

/// True when a finished task's items count as done for map_options::
/// progress: they ran to a value or an error of their own (a failure, a
/// crash, a timeout), not cancelled by terminate() or never started.
inline bool ran_to_an_end(const task_record& task) {
  return task.outcome != task_outcome::cancelled &&
         task.outcome != task_outcome::broken;
}

/// Queues completed tasks, in completion order, for imap_unordered and
/// for a map with progress; fed through feeder().
class completion_queue {
 public:
  /// The task_record::on_done that feeds `queue`, one for all of a call's
  /// tasks. It holds the queue weakly (an abandoned imap drops the queue
  /// first), so no reference cycle runs through the queue's tasks.
  static std::shared_ptr<task_done_listener> feeder(
      const std::shared_ptr<completion_queue>& queue) {
    return std::make_shared<feeding>(queue);
  }

  void push(std::shared_ptr<task_record> done) {
    {
      std::lock_guard lock(mutex_);
      done_.push_back(std::move(done));
    }
    changed_.notify_all();
  }
  /// Waits for the next completed task (in completion order).
  std::shared_ptr<task_record> pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !done_.empty(); });
    auto done = std::move(done_.front());
    done_.pop_front();
    return done;
  }

 private:
  struct feeding final : task_done_listener {
    explicit feeding(const std::shared_ptr<completion_queue>& to) : queue(to) {}
    void task_done(const std::shared_ptr<task_record>& task) noexcept override {
      if (auto q = queue.lock()) q->push(task);
    }
    std::weak_ptr<completion_queue> queue;
  };

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::shared_ptr<task_record>> done_;
};

/// The task_record::on_done of a map without progress: counts its tasks
/// down and wakes the caller once, when the last is done. (A queue woke it
/// for each task, a sleep and a wake per tiny task.)
class completion_countdown final : public task_done_listener {
 public:
  explicit completion_countdown(std::size_t tasks) : remaining_(tasks) {}

  void task_done(const std::shared_ptr<task_record>&) noexcept override {
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    // Under the lock: the waiter either sees the count at zero or is
    // already waiting when the notify comes.
    std::lock_guard lock(mutex_);
    all_done_.notify_all();
  }
  /// Waits until every task counted is done.
  void wait() {
    std::unique_lock lock(mutex_);
    all_done_.wait(lock, [this] {
      return remaining_.load(std::memory_order_acquire) == 0;
    });
  }

 private:
  std::atomic<std::size_t> remaining_;
  std::mutex mutex_;
  std::condition_variable all_done_;
};

/// Appends the outcomes of a finished chunk whose first item has index
/// `first`: each item's own when the chunk ran, else the chunk's failure
/// for each of its items.
template <class R>
void append_outcomes(const task_record& task, std::size_t first,
                     std::size_t items, std::vector<outcome<R>>& out) {
  if (task.outcome != task_outcome::value) {
    const std::exception_ptr error = task_failure(task);
    for (std::size_t i = 0; i < items; ++i) out.emplace_back(first + i, error);
    return;
  }
  decoder in(task.payload);
  const std::size_t count = in.read_size(1);
  for (std::size_t i = 0; i < count; ++i) {
    if (in.read<std::uint8_t>() == 1) {
      out.emplace_back(first + i, in.read<R>());
    } else {
      const std::size_t size = in.read_size(1);
      out.emplace_back(first + i, item_failure(in.read_view(size)));
    }
  }
}

/// The lazy range behind imap (Ordered) and imap_unordered, yielding R, or
/// outcome<R> with `Outcomes`. Keeps the input view by value and its
/// iterator in an optional, so input-only views, move-only iterators,
/// iterators that cannot be default-constructed and views whose begin() is
/// not const all work.
template <class F, class R, class Item, bool Star, bool Ordered, bool Outcomes,
          class View>
class lazy_map {
 public:
  using yielded = std::conditional_t<Outcomes, outcome<R>, R>;

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
    using value_type = yielded;
    using difference_type = std::ptrdiff_t;
    using iterator_concept = std::input_iterator_tag;

    iterator() = default;
    explicit iterator(lazy_map* owner) : owner_(owner) {}
    /// The current item. Errors: the exception of the item's task
    /// (a chunk that failed yields one error, then iteration goes on), or
    /// the exception the input threw at this position.
    yielded& operator*() const { return owner_->current(); }
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
      fetch();
    }
    return iterator(this);
  }
  std::default_sentinel_t end() const { return {}; }

 private:
  /// A chunk in flight, or (task null) an exception the input threw.
  struct pending {
    std::shared_ptr<task_record> task;
    std::size_t first;  // index of its first item (of the input's error)
    std::exception_ptr input_error;
  };

  // Chunks in flight per worker: enough to keep every worker's pipeline
  // full of tiny tasks (a round trip per chunk otherwise limits imap), few
  // enough that the input is read only a bounded way ahead. As many as a
  // worker's slot page holds (wire::kSlotsPerWorker): refilled at half, 16
  // left workers idle between refills (imap c1 231 k tasks/s against 383 k
  // with 32, and 64 gained nothing more).
  static constexpr std::size_t kReadAheadPerWorker = 32;

  yielded& current() {
    if (error_) std::rethrow_exception(error_);
    return results_[position_];
  }

  void advance() {
    if (error_ || ++position_ >= results_.size()) fetch();
  }

  // Reads up to chunksize_ items into `items`. An exception from reading
  // the input is caught and left in `error`, after the items read before
  // it. One from dereferencing leaves the iterator valid, so it is
  // incremented past that item and reading can go on later; one from
  // begin(), the comparison with end() or ++ leaves it in no known state,
  // so the input counts as ended there.
  void read_items(std::vector<Item>& items, std::exception_ptr& error) {
    try {
      if (!next_input_) next_input_.emplace(std::ranges::begin(input_));
      while (items.size() < chunksize_) {
        if (*next_input_ == std::ranges::end(input_)) {
          input_done_ = true;
          return;
        }
        try {
          items.push_back(**next_input_);
        } catch (...) {
          error = std::current_exception();
        }
        ++*next_input_;
        if (error) return;
      }
    } catch (...) {
      if (!error) error = std::current_exception();
      input_done_ = true;
    }
  }

  void submit_chunk(std::vector<Item>& items) {
    auto task = std::make_shared<task_record>();
    if constexpr (Outcomes) {
      task->entry = &outcome_chunk_entry<F, R, Item, Star>;
    } else {
      task->entry = &chunk_entry<F, R, Item, Star>;
    }
    task->timeout = timeout_;
    if constexpr (is_function_pointer<F>) {
      task->callable = reinterpret_cast<std::uintptr_t>(fn_);
    }
    encoder out;
    write_callable(out, fn_);
    write_chunk<Item>(out, items.begin(), items.size());
    task->input = std::move(out).take_bytes();
    const std::size_t count = items.size();
    task->items = count;
    if constexpr (!Ordered) task->on_done = feeder_;
    engine_->submit(task);
    window_.push_back({std::move(task), next_index_, nullptr});
    next_index_ += count;
    total_ += count;
  }

  // Tops the window up once it is half empty: a refill per yielded chunk
  // cost this thread a sleep and the dispatcher a wake for every tiny
  // task. Each chunk is submitted as soon as it is read, so a slow input
  // delays no task that could already run.
  void refill() {
    if (window_.size() * 2 > read_ahead_) return;
    while (window_.size() < read_ahead_ && !input_done_) {
      std::vector<Item> items;
      std::exception_ptr error;
      read_items(items, error);
      if (!items.empty()) submit_chunk(items);
      if (error) {
        // The input's error takes its place in the sequence.
        window_.push_back({nullptr, next_index_, std::move(error)});
        ++next_index_;
      }
    }
  }

  // The next entry of the window to yield. Unordered: an input error is
  // due once every chunk read before it has been yielded; until then, the
  // next chunk to complete.
  pending take_next() {
    pending next;
    if (Ordered || !window_.front().task) {
      next = std::move(window_.front());
      window_.pop_front();
    } else {
      auto task = completed_->pop();
      auto it = std::ranges::find_if(
          window_, [&](const pending& p) { return p.task == task; });
      next = std::move(*it);
      window_.erase(it);
    }
    return next;
  }

  // Makes the results of the next finished chunk (or the input's next
  // error) current; at the end of input and work, marks the range
  // finished.
  void fetch() {
    for (;;) {
      results_.clear();
      position_ = 0;
      error_ = nullptr;
      refill();
      if (window_.empty()) {
        finished_ = true;
        return;
      }
      pending next = take_next();
      if (!next.task) {
        if constexpr (Outcomes) {
          results_.emplace_back(next.first, std::move(next.input_error));
        } else {
          error_ = std::move(next.input_error);
        }
        refill();
        return;
      }
      const task_record& task = *next.task;
      task.wait_until(std::nullopt);
      report_progress(task);
      if constexpr (Outcomes) {
        append_outcomes<R>(task, next.first, task.items, results_);
      } else if (task.outcome == task_outcome::value) {
        results_ = decode<std::vector<R>>(task.payload);
      } else {
        error_ = task_failure(task);
      }
      // An empty chunk cannot happen, but never yield nothing.
      if (results_.empty() && !error_) continue;
      refill();
      return;
    }
  }

  void report_progress(const task_record& task) {
    if (!options_.progress || !ran_to_an_end(task)) return;
    done_ += task.items;
    options_.progress(done_, total_);
  }

  std::shared_ptr<pool_engine> engine_;
  F fn_;
  View input_;
  std::optional<std::ranges::iterator_t<View>> next_input_;
  std::size_t chunksize_;
  std::size_t read_ahead_;
  map_options options_;
  std::optional<std::chrono::nanoseconds> timeout_;
  std::shared_ptr<completion_queue> completed_ =
      std::make_shared<completion_queue>();
  std::shared_ptr<task_done_listener> feeder_ =
      completion_queue::feeder(completed_);
  std::deque<pending> window_;
  std::vector<yielded> results_;
  std::size_t position_ = 0;
  std::exception_ptr error_;
  std::size_t next_index_ = 0;  // positions read, input errors included
  std::size_t total_ = 0;       // items submitted
  std::size_t done_ = 0;        // items reported done
  bool started_ = false;
  bool input_done_ = false;
  bool finished_ = false;
};

}  // namespace detail

/// A pool of worker processes (see the top of this file).
/// Python: multiprocessing.Pool and concurrent.futures.ProcessPoolExecutor.
/// Thread safety: every member may be called from several threads at once.
/// A pool belongs to the process that built it: in a child forked later
/// (a multiproc::process, an async() child) submit, apply, the maps,
/// close, terminate, join, and get() and wait*() of its futures throw
/// usage_error("can only use a pool created by current process"), the
/// library's own message; the child's copy of the pool is left untouched.
class pool {
 public:
  /// Starts the workers now, by options.start_method (else the default
  /// method now): forks, spawned copies of the program, or forks of its
  /// forkserver. A task is always portable (checked at compile time by
  /// submit and the maps), so every pool accepts the same tasks whatever
  /// its method.
  /// Python: Pool(...), which starts its workers at once too, and
  /// ProcessPoolExecutor(...), which starts them on demand.
  /// Errors: std::system_error ("socketpair", "mmap", "memfd_create",
  /// "fork", "forkserver", "posix_spawn", "eventfd", or std::thread's) when
  /// a worker or the dispatcher thread cannot be started (the workers
  /// already started are killed and reaped); usage_error("the 'spawn' start
  /// method cannot send this initializer: ...", the method as resolved) for
  /// an initializer that is not portable under a method other than fork;
  /// under forkserver, usage_error when its server refuses to serve
  /// (threads at its guard, main returned before it; start_method.hpp);
  /// usage_error("daemonic processes are not allowed to have children")
  /// inside a daemon child, as Python's Pool there; usage_error and
  /// std::system_error for options.limits that cannot be applied
  /// (multiproc/limits.hpp), before any worker is forked; std::bad_alloc. (The
  /// engine's usage_error("Number of processes must be at least 1") cannot
  /// arise here: 0 means cpu_count(), which is at least 1.)
  explicit pool(pool_options options = {});
  /// close(), then join(): submitted work finishes first (like
  /// concurrent.futures' shutdown(wait=True); Python's Pool context manager
  /// terminates instead). Never throws.
  /// Python: ProcessPoolExecutor.__exit__ (shutdown(wait=True)).
  ~pool();
  pool(const pool&) = delete;
  pool& operator=(const pool&) = delete;

  /// The number of workers (replacements keep it constant).
  /// Python: no public equivalent (Pool._processes,
  /// ProcessPoolExecutor._max_workers).
  unsigned processes() const noexcept { return engine_->processes(); }

  /// Queues fn(args...) and returns its future. The arguments are encoded
  /// now (through multiproc::codec) and decoded in the worker. What fn
  /// throws, and its worker's death or timeout, come back from the
  /// future's get(), not from here.
  /// Python: Pool.apply_async(fn, args) and ProcessPoolExecutor.submit(fn,
  /// *args).
  /// Errors: usage_error("Pool not running") after close() or terminate();
  /// usage_error("can only use a pool created by current process") in a
  /// forked child; usage_error and std::system_error for options.limits
  /// that a worker could not apply (multiproc/limits.hpp); whatever
  /// encoding the arguments throws (a user codec's
  /// error, std::bad_alloc). A task whose timeout is zero or negative is
  /// not an error here: its future holds timeout_error.
  template <class F, class... Args>
  future<pool_result_t<F, Args...>> submit(task_options options, F fn,
                                           Args&&... args) {
    using result = pool_result_t<F, Args...>;
    using arguments =
        std::tuple<detail::sync::task_argument_t<std::decay_t<Args>>...>;
    if constexpr (!detail::check_pool_task<F, detail::sync::task_argument_t<
                                                  std::decay_t<Args>>...>()) {
      return future<result>();  // one static_assert has said why
    } else {
      auto task = std::make_shared<detail::task_record>();
      (hold_handle_argument(*task, args), ...);
      task->entry = &detail::call_entry<F, result, arguments>;
      task->timeout = options.timeout ? options.timeout : task_timeout_;
      task->limits = options.limits;
      task->measure_usage = true;
      if constexpr (detail::is_function_pointer<F>) {
        task->callable = reinterpret_cast<std::uintptr_t>(fn);
      }
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

  /// submit(fn, args...).get(). Python: Pool.apply(fn, args).
  /// Errors: as submit() and future::get(): fn's exception as its own type,
  /// process_died, timeout_error, cancelled_error (after terminate()).
  template <class F, class... Args>
  pool_result_t<F, Args...> apply(F fn, Args&&... args) {
    return submit(fn, std::forward<Args>(args)...).get();
  }

  /// fn applied to every item, results in input order. The input is read
  /// whole first, as Python does; any input range will do (input-only,
  /// non-common, views whose begin() is not const). If tasks fail, every
  /// task still runs to its end and then the failure of the earliest item
  /// is thrown.
  ///
  /// Chunking: options.chunksize items travel per task (default: about
  /// four tasks per worker, as Python). When the pool has a task_timeout,
  /// every item is a task of its own whatever chunksize says, so that the
  /// timeout is per item: one slow item fails alone with timeout_error.
  ///
  /// Progress: options.progress is called on the calling thread once per
  /// chunk that ran to an end (a value, or an error of its own: exception,
  /// crash, timeout), with the items done so far and the total; each count
  /// once, strictly increasing. Chunks cancelled by terminate() are not
  /// counted, so after one the last count is below the total.
  /// Python: Pool.map(fn, iterable, chunksize) and
  /// ProcessPoolExecutor.map() (which yields, and raises at the failed
  /// item instead).
  /// Errors: the earliest failed item's error: the task's exception as its
  /// own type, process_died (also for a pool whose initializer failed,
  /// with its message), timeout_error, cancelled_error (terminate() from
  /// another thread); usage_error("Pool not running") after close() or
  /// terminate(); usage_error("can only use a pool created by current
  /// process") in a forked child; whatever reading the input or encoding
  /// an item throws, before any task is submitted.
  template <class F, class Range>
  auto map(F fn, Range&& inputs, map_options options = {}) {
    using item = std::ranges::range_value_t<Range>;
    if constexpr (!detail::check_pool_task<F, item>()) {
      return std::vector<pool_result_t<F, item>>();  // see the static_assert
    } else {
      return map_impl<F, item, false, false>(fn, std::forward<Range>(inputs),
                                             std::move(options));
    }
  }

  /// As map, with each item a tuple (or pair) of arguments: fn(a, b, ...).
  /// Python: Pool.starmap(fn, iterable, chunksize).
  /// Errors: as map.
  template <class F, class Range>
  auto starmap(F fn, Range&& tuples, map_options options = {}) {
    using item = std::ranges::range_value_t<Range>;
    if constexpr (!detail::check_pool_star_task<F, item>()) {
      return std::vector<detail::invalid_task_result>();  // see the assert
    } else {
      return map_impl<F, item, true, false>(fn, std::forward<Range>(tuples),
                                            std::move(options));
    }
  }

  /// As map, but never throws a task's failure: one outcome<R> per item,
  /// in input order, carrying its index and its value or its error. Each
  /// item's exception is its own even in a chunk of several; a crash fails
  /// the items of its chunk (with a task_timeout, a chunk is one item).
  /// Python: no equivalent (the nearest: submit() per item, then each
  /// Future's result() or exception()).
  /// Errors: usage_error("Pool not running") after close() or terminate();
  /// usage_error("can only use a pool created by current process") in a
  /// forked child; whatever reading the input or encoding an item throws,
  /// before any task is submitted.
  template <class F, class Range>
  auto map_outcomes(F fn, Range&& inputs, map_options options = {}) {
    using item = std::ranges::range_value_t<Range>;
    if constexpr (!detail::check_pool_task<F, item>()) {
      return std::vector<outcome<pool_result_t<F, item>>>();  // see the assert
    } else {
      return map_impl<F, item, false, true>(fn, std::forward<Range>(inputs),
                                            std::move(options));
    }
  }

  /// A lazy input range of fn(item) in input order. The input is read only
  /// as far as a bounded window of work ahead of the consumer. An item's
  /// exception is thrown when that item is dereferenced; incrementing past
  /// it goes on with the next one (with chunksize > 1, a failed chunk
  /// yields one error in place of its items; with a task_timeout, items
  /// go one per task, as in map).
  ///
  /// If reading the input throws, the results of the items before it are
  /// yielded first, then dereferencing at its position throws that very
  /// exception, and incrementing goes on: with the items after it when it
  /// came from dereferencing the input's iterator (which stays valid), or
  /// to the end when it came from begin(), ++ or the end comparison.
  /// Progress: as map, counted as the consumer reaches each chunk, with
  /// the total read so far.
  /// Python: Pool.imap(fn, iterable, chunksize), which reads its input
  /// ahead without bound, in a thread.
  /// Errors: none from the call itself: tasks are submitted as the range
  /// is iterated. From begin(), ++ and *: the item's error as above
  /// (the task's exception, process_died, timeout_error, cancelled_error
  /// after terminate()), the input's exception; usage_error("Pool not
  /// running") when the pool is closed or terminated before the items are
  /// submitted (so close() while an imap is being read stops its further
  /// reading, unlike Python's); usage_error("can only use a pool created by
  /// current process") in a forked child.
  /// Thread safety: one thread iterates a range.
  template <class F, class Range>
  auto imap(F fn, Range&& inputs, map_options options = {}) {
    return lazy<F, true, false>(fn, std::forward<Range>(inputs),
                                std::move(options));
  }
  /// As imap, in completion order. An exception of the input is thrown
  /// once every item read before it has been yielded (items read after it
  /// may come before or after it).
  /// Python: Pool.imap_unordered(fn, iterable, chunksize).
  /// Errors: as imap.
  template <class F, class Range>
  auto imap_unordered(F fn, Range&& inputs, map_options options = {}) {
    return lazy<F, false, false>(fn, std::forward<Range>(inputs),
                                 std::move(options));
  }
  /// As imap, yielding an outcome<R> per item instead of throwing: a
  /// failed item, and an exception of the input, are outcomes with an
  /// error at their index (a failed chunk gives one outcome per item).
  /// Python: no equivalent.
  /// Errors: from iterating, only usage_error("Pool not running") and
  /// usage_error("can only use a pool created by current process") as in
  /// imap, and what encoding an item throws.
  template <class F, class Range>
  auto imap_outcomes(F fn, Range&& inputs, map_options options = {}) {
    return lazy<F, true, true>(fn, std::forward<Range>(inputs),
                               std::move(options));
  }
  /// As imap_outcomes, in completion order (outcome::index() tells which).
  /// Python: no equivalent.
  /// Errors: as imap_outcomes.
  template <class F, class Range>
  auto imap_unordered_outcomes(F fn, Range&& inputs, map_options options = {}) {
    return lazy<F, false, true>(fn, std::forward<Range>(inputs),
                                std::move(options));
  }

  /// No new work; queued work still runs. Idempotent. Does not wait.
  /// Python: Pool.close() (ProcessPoolExecutor.shutdown(wait=False)).
  /// Errors: usage_error("can only use a pool created by current process")
  /// in a forked child.
  void close();
  /// Stops now: queued tasks and running ones fail with cancelled_error;
  /// workers get SIGTERM, then SIGKILL after kill_grace. Idempotent. Does
  /// not wait.
  /// Python: Pool.terminate() (ProcessPoolExecutor.shutdown(wait=False,
  /// cancel_futures=True), which cannot stop running calls).
  /// Errors: usage_error("can only use a pool created by current process")
  /// in a forked child.
  void terminate();
  /// Waits until every worker has exited.
  /// Python: Pool.join().
  /// Errors: usage_error("Pool is still running") before close() or
  /// terminate(); usage_error("can only use a pool created by current
  /// process") in a forked child.
  void join();

 protected:
  /// A pool over another engine configuration (its own worker back end):
  /// what multiproc::mpi::pool builds. `task_timeout` as
  /// pool_options::task_timeout. Python: none.
  /// Errors: as pool(pool_options).
  pool(detail::pool_config config,
       std::optional<std::chrono::nanoseconds> task_timeout);

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

  template <class F, class Item, bool Star, bool Outcomes, class Range>
  auto map_impl(F fn, Range&& inputs, const map_options& options) {
    using result = item_result_t<F, Item, Star>;
    static_assert(!std::is_void_v<result>,
                  "multiproc::pool::map: the function returns void; use "
                  "submit() for each item instead");
    using yielded = std::conditional_t<Outcomes, outcome<result>, result>;
    // Read by iterating, not through the vector's iterator-pair
    // constructor, so that non-common and input-only ranges work too.
    std::vector<Item> items;
    if constexpr (std::ranges::sized_range<Range>) {
      items.reserve(static_cast<std::size_t>(std::ranges::size(inputs)));
    }
    for (auto&& item : inputs) {
      items.emplace_back(std::forward<decltype(item)>(item));
    }
    if (items.empty()) return std::vector<yielded>{};
    const std::size_t chunk = chunk_for_map(items.size(), options.chunksize);
    const std::size_t task_count = (items.size() + chunk - 1) / chunk;
    // With progress, the caller hears of each task as it finishes; without,
    // only of the last.
    std::shared_ptr<detail::completion_queue> completed;
    std::shared_ptr<detail::completion_countdown> countdown;
    std::shared_ptr<detail::task_done_listener> on_done;
    if (options.progress) {
      completed = std::make_shared<detail::completion_queue>();
      on_done = detail::completion_queue::feeder(completed);
    } else {
      countdown = std::make_shared<detail::completion_countdown>(task_count);
      on_done = countdown;
    }
    // The callable's name, looked up once for every chunk (naming searches
    // the module table): each chunk's input starts with these bytes.
    encoder callable_head;
    detail::write_callable(callable_head, fn);
    const std::vector<std::byte> callable =
        std::move(callable_head).take_bytes();
    std::vector<std::shared_ptr<detail::task_record>> tasks;
    tasks.reserve(task_count);
    for (std::size_t first = 0; first < items.size(); first += chunk) {
      const std::size_t count = std::min(chunk, items.size() - first);
      auto task = std::make_shared<detail::task_record>();
      if constexpr (Outcomes) {
        task->entry = &detail::outcome_chunk_entry<F, result, Item, Star>;
      } else {
        task->entry = &detail::chunk_entry<F, result, Item, Star>;
      }
      task->timeout = task_timeout_;
      if constexpr (detail::is_function_pointer<F>) {
        task->callable = reinterpret_cast<std::uintptr_t>(fn);
      }
      encoder out;
      out.write_bytes(callable.data(), callable.size());
      detail::write_chunk<Item>(
          out, items.begin() + static_cast<std::ptrdiff_t>(first), count);
      task->input = std::move(out).take_bytes();
      task->items = count;
      task->on_done = on_done;
      tasks.push_back(std::move(task));
    }
    engine_->submit(tasks);
    if (countdown) {
      countdown->wait();
    } else {
      std::size_t done = 0;
      for (std::size_t popped = 0; popped < tasks.size(); ++popped) {
        auto finished = completed->pop();
        if (detail::ran_to_an_end(*finished)) {
          done += finished->items;
          options.progress(done, items.size());
        }
      }
    }
    std::vector<yielded> results;
    results.reserve(items.size());
    std::size_t first = 0;
    for (const auto& task : tasks) {
      const std::size_t count = std::min(chunk, items.size() - first);
      if constexpr (Outcomes) {
        detail::append_outcomes<result>(*task, first, count, results);
      } else {
        if (task->outcome != detail::task_outcome::value)
          detail::throw_task_failure(*task);
        auto part = decode<std::vector<result>>(task->payload);
        std::move(part.begin(), part.end(), std::back_inserter(results));
      }
      first += count;
    }
    return results;
  }

  template <class F, bool Ordered, bool Outcomes, class Range>
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
      const std::size_t chunk =
          task_timeout_ || options.chunksize == 0 ? 1 : options.chunksize;
      return detail::lazy_map<F, result, item, false, Ordered, Outcomes, view>(
          engine_, fn, std::views::all(std::forward<Range>(inputs)), chunk,
          std::move(options), task_timeout_);
    }
  }

  // Items per map task. A task_timeout is per item (issue 9): the engine
  // times a task, not the items inside it, so with a timeout every item is
  // a task of its own, whatever was asked. Chunking is only a throughput
  // device, and tasks that may time out are long enough for one round trip
  // each not to matter; timing items inside a chunk instead would need the
  // engine to split a chunk's outcome and resubmit its unstarted items.
  std::size_t chunk_for_map(std::size_t items, std::size_t requested) const {
    return task_timeout_ ? 1 : chunksize_for(items, requested);
  }

  std::size_t chunksize_for(std::size_t items, std::size_t requested) const;

  // A Part 4 handle passed to submit(): the object must be older than the
  // pool, so that every worker has it from its fork; the task then keeps a
  // copy of the caller's handle. Anything else: nothing to do.
  template <class A>
  void hold_handle_argument(detail::task_record& task, const A& arg) const {
    using handle = std::decay_t<A>;
    if constexpr (detail::sync::is_handle_v<handle>) {
      if (handle_birth(arg) > births_before_workers_) {
        throw usage_error(
            std::string(detail::sync::is_handle<handle>::python_name) +
            " objects should only be shared between processes "
            "through inheritance");
      }
      task.keep_alive.push_back(std::make_shared<const handle>(arg));
    }
  }

  // detail::sync::births_so_far() before the workers were forked.
  std::uint64_t births_before_workers_;
  std::shared_ptr<detail::pool_engine> engine_;
  std::optional<std::chrono::nanoseconds> task_timeout_;
};

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
