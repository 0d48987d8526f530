// The pool's dispatcher: one thread that owns every worker's socket and
// pidfd, moves queued tasks to workers, reads results, enforces timeouts and
// replaces dead workers. See include/multiproc/detail/pool_engine.hpp for
// the design and src/pool/wire.hpp for the protocol.
#include "multiproc/detail/pool_engine.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <deque>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "limits/rlimit_plan.hpp"
#include "multiproc/detail/remote_call.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/process.hpp"
#include "pool/wire.hpp"
#include "pool/worker_backend.hpp"
#include "posix/io.hpp"
#include "posix/library_thread.hpp"
#include "posix/pidfd.hpp"
#include "posix/this_pid.hpp"
#include "posix/unique_fd.hpp"
#include "process_state.hpp"

namespace multiproc::inline v0::detail {

namespace {

using clock = std::chrono::steady_clock;
constexpr std::uint32_t kSlots = wire::kSlotsPerWorker;

// The dispatcher's book of one worker: which task is in which slot, and
// what it has decided about the worker. The process and its I/O are the
// back end's (worker_backend.hpp).
struct worker_book {
  std::unique_ptr<worker> link;
  std::array<std::shared_ptr<task_record>, kSlots> tasks{};
  std::array<clock::time_point, kSlots> sent_at{};
  unsigned in_flight = 0;
  unsigned sent_total = 0;
  // When it last showed progress: a result came back, or it was handed a
  // task while idle. See pick_worker_locked.
  clock::time_point progress_at{};
  unsigned timed_in_flight = 0;
  bool stop_sent = false;
  bool killed = false;  // we killed it; `kill_outcome` for its running task
  task_outcome kill_outcome = task_outcome::died;

  bool accepts_work() const { return !killed && !stop_sent; }
};

struct completion {
  std::shared_ptr<task_record> task;
  task_outcome outcome;
  std::vector<std::byte> payload;
  int exitcode = 0;
  std::string message;
};

// After the outcome is set: wakes the task's waiters (and multiproc::wait's
// listeners), then runs map/imap's bookkeeping. No lock held.
void notify_done(const std::shared_ptr<task_record>& task) {
  task->done.notify_all();
  if (task->on_done) task->on_done->task_done(task);
}

void apply(completion& c) {
  {
    std::lock_guard lock(c.task->mutex);
    // A result can race a cancel or a kill; the first outcome stands.
    if (c.task->outcome != task_outcome::pending) return;
    c.task->outcome = c.outcome;
    c.task->payload = std::move(c.payload);
    c.task->exitcode = c.exitcode;
    c.task->message = std::move(c.message);
  }
  notify_done(c.task);
}

}  // namespace

struct pool_engine::impl {
  enum class phase { running, closed, terminating };

  explicit impl(pool_config c) : config(std::move(c)) {
    if (!config.backend) config.backend = process_worker_backend(config.method);
  }

  pool_config config;
  /// The process that built the pool: the only one whose workers these
  /// are. A forked child holds a copy of everything here; it must neither
  /// use it (the dispatcher thread was not copied: it would wait forever)
  /// nor signal the parent's workers.
  const pid_t owner = this_pid();
  void throw_unless_owner() const {
    if (this_pid() != owner) {
      throw usage_error("can only use a pool created by current process");
    }
  }
  /// The mask of the thread that built the pool: every worker's.
  const sigset_t user_signal_mask = signal_mask_of_this_thread();
  std::mutex mutex;
  phase state = phase::running;
  bool broken = false;
  std::string broken_message;
  bool dispatcher_sleeping = false;
  bool joined = false;
  std::deque<std::shared_ptr<task_record>> queue;
  std::vector<std::unique_ptr<worker_book>> workers;
  std::optional<clock::time_point> kill_at;  // terminate(): SIGKILL time
  std::vector<completion> completions;
  std::vector<completion> applying;  // run_completions' batch (dispatcher)
  unique_fd wake;
  std::thread dispatcher;

  std::thread::id dispatcher_id;  // set by run(), under `mutex`
  bool dispatcher_done = false;   // run() has returned; under `mutex`
  std::condition_variable dispatcher_finished;

  bool on_dispatcher_thread() const {
    return dispatcher_id == std::this_thread::get_id();
  }
  std::mutex join_mutex;

  // --- workers -------------------------------------------------------

  void spawn_worker_locked(bool replacement) {
    worker_spawn_args args{&config.initializer,
                           config.max_tasks_per_child,
                           user_signal_mask,
                           on_dispatcher_thread(),
                           {}};
    args.foreign_fds.push_back(wake.get());
    args.limits = &config.worker_limits;
    args.replacement = replacement;
    for (const auto& other : workers) {
      args.foreign_fds.push_back(other->link->channel());
      args.foreign_fds.push_back(other->link->death_fd());
    }
    auto w = std::make_unique<worker_book>();
    w->link = config.backend->spawn(std::move(args));
    workers.push_back(std::move(w));
  }

  // --- queue → workers ------------------------------------------------

  // A worker with tasks in flight and no result for this long is busy with
  // a long one: tasks queued behind it would wait while another worker
  // may idle, so it gets no more until it shows progress. Tiny tasks come
  // back in tens of microseconds, so their pipelines stay full.
  static constexpr std::chrono::milliseconds kStalled{1};

  worker_book* pick_worker_locked(const task_record& task,
                                  clock::time_point now) {
    // Deep pipelines make tiny tasks fast; shallow ones keep long tasks
    // from waiting behind each other while a worker idles. So the depth
    // follows the backlog: about an equal share per worker of the work not
    // yet done, queued or in flight. Counting what is in flight matters
    // when tasks arrive one by one (submit, imap): the queue then holds one
    // task at a time, and a depth from the queue alone would keep one task
    // per worker, a round trip each.
    std::size_t live = std::max<std::size_t>(workers.size(), 1);
    std::size_t backlog = queue.size();
    for (const auto& w : workers) backlog += w->in_flight;
    unsigned depth = static_cast<unsigned>(
        std::clamp<std::size_t>((backlog + live - 1) / live, 1, kSlots));
    worker_book* best = nullptr;
    for (const auto& w : workers) {
      if (!w->accepts_work() || w->timed_in_flight != 0) continue;
      if (w->in_flight >= depth) continue;
      if (config.max_tasks_per_child != 0 &&
          w->sent_total >= config.max_tasks_per_child) {
        continue;
      }
      // A task with a timeout runs alone on an idle worker, so its clock
      // starts when it does and a kill takes nothing else with it.
      if (task.timeout && w->in_flight != 0) continue;
      if (w->in_flight != 0 && now - w->progress_at > kStalled) continue;
      if (best == nullptr || w->in_flight < best->in_flight) best = w.get();
    }
    return best;
  }

  void dispatch_locked() {
    if (broken || state == phase::terminating) return;
    const clock::time_point now = clock::now();
    while (!queue.empty()) {
      worker_book* w = pick_worker_locked(*queue.front(), now);
      if (w == nullptr) return;
      if (w->in_flight == 0) w->progress_at = now;
      std::shared_ptr<task_record> task = std::move(queue.front());
      queue.pop_front();
      std::uint32_t slot = 0;
      while (w->tasks[slot]) ++slot;  // in_flight < kSlots: one is free
      w->link->slot(slot).started_ns.store(0, std::memory_order_relaxed);
      w->link->slot(slot).state.store(wire::slot_queued,
                                      std::memory_order_release);
      // The task's caps go just before it, for the worker to apply to it
      // alone (worker_main.cpp).
      if (!task->limit_frame.empty()) {
        w->link->queue_frame(wire::frame_kind::limits, slot, 0,
                             task->limit_frame);
      }
      w->link->queue_frame(task->measure_usage ? wire::frame_kind::task_measured
                                               : wire::frame_kind::task,
                           slot, pack_entry(task->entry), task->input,
                           task->timeout ? task->timeout->count() : 0);
      w->sent_at[slot] = clock::now();
      if (task->timeout) ++w->timed_in_flight;
      w->tasks[slot] = std::move(task);
      ++w->in_flight;
      ++w->sent_total;
    }
  }

  // --- results ---------------------------------------------------------

  void free_slot_locked(worker_book& w, std::uint32_t slot) {
    if (w.tasks[slot] && w.tasks[slot]->timeout) --w.timed_in_flight;
    w.tasks[slot].reset();
    w.link->slot(slot).state.store(wire::slot_free, std::memory_order_relaxed);
    --w.in_flight;
  }

  void read_locked(worker_book& w) {
    const std::size_t in_flight = w.in_flight;
    w.link->receive(
        [this, &w](const wire::frame_header& header, const std::byte* payload) {
          handle_frame_locked(w, header, payload);
        });
    if (w.in_flight < in_flight) w.progress_at = clock::now();
  }

  void handle_frame_locked(worker_book& w, const wire::frame_header& header,
                           const std::byte* payload) {
    if (header.kind == wire::frame_kind::init_failed) {
      break_pool_locked(
          std::string(reinterpret_cast<const char*>(payload), header.size));
      return;
    }
    if (header.slot >= kSlots || !w.tasks[header.slot]) return;
    // A timed task started: the next round of enforce_timeouts_locked()
    // reads its start time from the slot page.
    if (header.kind == wire::frame_kind::started) return;
    std::shared_ptr<task_record> task = w.tasks[header.slot];
    // What the task used comes just before its result.
    if (header.kind == wire::frame_kind::usage) {
      if (header.size == sizeof(wire::task_usage)) {
        wire::task_usage used{};
        std::memcpy(&used, payload, sizeof used);
        std::lock_guard lock(task->mutex);
        task->used = wire::usage_of(used);
      }
      return;
    }
    free_slot_locked(w, header.slot);
    if (header.kind == wire::frame_kind::skipped) return;  // already cancelled
    task_outcome outcome = task_outcome::exception;
    if (header.kind == wire::frame_kind::value) outcome = task_outcome::value;
    if (header.kind == wire::frame_kind::timed_out) {
      outcome = task_outcome::timed_out;
    }
    completions.push_back(
        {std::move(task),
         outcome,
         std::vector<std::byte>(payload, payload + header.size),
         0,
         {}});
  }

  // --- deaths, timeouts, breakage ------------------------------------------

  void handle_death_locked(std::size_t index) {
    worker_book& w = *workers[index];
    read_locked(w);  // every result it wrote before dying is valid
    const int code = w.link->reap();
    std::vector<std::pair<clock::time_point, std::shared_ptr<task_record>>>
        unstarted;
    for (std::uint32_t slot = 0; slot < kSlots; ++slot) {
      if (!w.tasks[slot]) continue;
      std::shared_ptr<task_record> task = w.tasks[slot];
      auto slot_state =
          w.link->slot(slot).state.load(std::memory_order_acquire);
      clock::time_point sent = w.sent_at[slot];
      free_slot_locked(w, slot);
      if (slot_state == wire::slot_queued && !broken &&
          state_accepts_requeue()) {
        unstarted.emplace_back(sent, std::move(task));
      } else if (slot_state == wire::slot_running ||
                 slot_state == wire::slot_kill_pending ||
                 slot_state == wire::slot_queued ||
                 slot_state == wire::slot_finished) {
        task_outcome outcome = w.killed ? w.kill_outcome : task_outcome::died;
        if (broken) outcome = task_outcome::broken;
        std::string message;
        if (broken) {
          message = broken_message;
        } else if (outcome == task_outcome::died) {
          // A cap of the task (or of every worker) may explain the death:
          // say so rather than a bare signal number.
          message = died_message(
              code, task->limits ? task->limits : config.worker_limits,
              std::nullopt);
        }
        completions.push_back(
            {std::move(task), outcome, {}, code, std::move(message)});
      }
    }
    // Unstarted tasks go back to the front, in the order they were sent.
    std::sort(unstarted.begin(), unstarted.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto it = unstarted.rbegin(); it != unstarted.rend(); ++it) {
      queue.push_front(std::move(it->second));
    }
    // Our handle goes with the worker; close() would close every copy,
    // including the ones the user got from active_children().
    workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(index));
    // The loop replaces it, once the outcomes above are delivered.
  }

  bool state_accepts_requeue() const { return state != phase::terminating; }

  void replace_workers_locked() {
    if (broken || state == phase::terminating) return;
    if (state == phase::closed && queue.empty()) return;
    while (workers.size() < config.processes) {
      try {
        spawn_worker_locked(/*replacement=*/true);
      } catch (const std::exception& e) {
        if (workers.empty()) {
          // Nobody is left to run the queue: fail it rather than hang.
          fail_queue_locked(
              task_outcome::died,
              std::string("cannot start a pool worker: ") + e.what());
        }
        return;
      }
    }
  }

  void fail_queue_locked(task_outcome outcome, const std::string& message) {
    for (auto& task : queue) {
      completions.push_back({std::move(task), outcome, {}, 0, message});
    }
    queue.clear();
  }

  void break_pool_locked(std::string message) {
    if (broken) return;
    broken = true;
    broken_message = "pool initializer failed: " + std::move(message);
    fail_queue_locked(task_outcome::broken, broken_message);
    for (auto& w : workers) {
      if (!w->killed) {
        w->killed = true;
        w->kill_outcome = task_outcome::broken;
        w->link->signal(SIGKILL);
      }
    }
  }

  void kill_worker_locked(worker_book& w, task_outcome outcome) {
    if (w.killed) return;
    w.killed = true;
    w.kill_outcome = outcome;
    w.link->signal(SIGKILL);
  }

  // Kills the worker for the task running in `slot`, unless that task has
  // already returned (false). The claim keeps the worker from starting its
  // next task, which the kill would otherwise take with it (wire.hpp).
  bool kill_for_task_locked(worker_book& w, std::uint32_t slot,
                            task_outcome outcome) {
    std::uint32_t expected = wire::slot_running;
    if (!w.link->slot(slot).state.compare_exchange_strong(
            expected, wire::slot_kill_pending, std::memory_order_acq_rel)) {
      return false;
    }
    kill_worker_locked(w, outcome);
    return true;
  }

  // Kills workers whose timed task ran out; returns the next deadline.
  //
  // The worker itself reports a task that returned after its timeout
  // (wire::frame_kind::timed_out), so the outcome is exact whatever this
  // thread is doing. This thread kills only a task still running
  // kKillSlack after its timeout: one that will not return by itself. The
  // slack keeps a task that overran by a hair (a 1 ns timeout) from costing
  // a worker each time.
  static constexpr std::chrono::milliseconds kKillSlack{10};

  std::optional<clock::time_point> enforce_timeouts_locked(
      clock::time_point now) {
    std::optional<clock::time_point> next = kill_at;
    if (kill_at && now >= *kill_at) {
      for (auto& w : workers) w->link->signal(SIGKILL);
      kill_at.reset();
      next.reset();
    }
    for (auto& w : workers) {
      if (w->timed_in_flight == 0 || w->killed) continue;
      for (std::uint32_t slot = 0; slot < kSlots; ++slot) {
        if (!w->tasks[slot] || !w->tasks[slot]->timeout) continue;
        const wire::slot& s = w->link->slot(slot);
        // Not started yet: its clock has not begun, and the worker's
        // `started` frame wakes us when it does.
        if (s.state.load(std::memory_order_acquire) != wire::slot_running) {
          continue;
        }
        // CLOCK_MONOTONIC, which is what steady_clock reads on Linux.
        const clock::time_point start(std::chrono::nanoseconds(
            s.started_ns.load(std::memory_order_relaxed)));
        // Timeouts are below kNoLimit (deadline.hpp; see submit), so this
        // cannot overflow.
        const auto deadline = start +
                              std::chrono::duration_cast<clock::duration>(
                                  *w->tasks[slot]->timeout) +
                              kKillSlack;
        if (now >= deadline) {
          // Returned meanwhile: the worker reports the timeout itself.
          kill_for_task_locked(*w, slot, task_outcome::timed_out);
        } else if (!next || deadline < *next) {
          next = deadline;
        }
      }
    }
    return next;
  }

  bool finished_locked() {
    if (state == phase::running) return false;
    if (state == phase::closed && !queue.empty()) return false;
    bool all_idle =
        std::all_of(workers.begin(), workers.end(),
                    [](const auto& w) { return w->in_flight == 0; });
    if (state == phase::closed && all_idle) {
      for (auto& w : workers) {
        if (!w->stop_sent && !w->killed) {
          w->link->queue_frame(wire::frame_kind::stop, 0, 0, {});
          w->stop_sent = true;
          w->link->flush();
        }
      }
    }
    return workers.empty();
  }

  // --- the loop --------------------------------------------------------

  void run() {
    // Signals meant for the program must go to the user's threads.
    block_all_signals_on_this_thread();

    std::unique_lock lock(mutex);
    dispatcher_id = std::this_thread::get_id();
    std::vector<pollfd> fds;
    for (;;) {
      // A worker the OS refused to replace (fork failed) is tried again
      // each time round, so work submitted later runs once the OS allows,
      // and fails at once while no worker at all can be had: with no
      // worker left, nothing else would ever take the queue (found by
      // tests/reliability_fork_test.cpp). A death's outcomes go out first:
      // the task's process_died need not wait for the replacement's start.
      if (workers.size() < config.processes) {
        run_completions(lock);
        replace_workers_locked();
      }
      dispatch_locked();
      for (auto& w : workers) w->link->flush();
      auto next_deadline = enforce_timeouts_locked(clock::now());
      if (finished_locked()) break;

      fds.clear();
      fds.push_back({wake.get(), POLLIN, 0});
      for (const auto& w : workers) {
        short events = POLLIN;
        if (w->link->has_unsent()) events |= POLLOUT;
        // A negative fd is skipped by poll and keeps the indices aligned.
        fds.push_back(
            {w->link->hung_up() ? -1 : w->link->channel(), events, 0});
        fds.push_back({w->link->death_fd(), POLLIN, 0});
      }
      dispatcher_sleeping = true;
      run_completions(lock);
      lock.unlock();
      int ready = 0;
      pidfd::wait_readable(fds, next_deadline, ready);
      lock.lock();
      dispatcher_sleeping = false;

      if (fds[0].revents != 0) {
        io::eventfd_drain(wake.get());
      }
      // Workers are only added or removed on this thread, so the indices
      // of `fds` still match `workers` here. Deaths last, and backwards, as
      // they remove entries.
      for (std::size_t i = 0; i < workers.size(); ++i) {
        if (fds[1 + 2 * i].revents & POLLIN) read_locked(*workers[i]);
      }
      for (std::size_t i = workers.size(); i-- > 0;) {
        if (fds[2 + 2 * i].revents != 0) handle_death_locked(i);
      }
    }
    config.backend->retire();  // before join() returns: nothing left running
    run_completions(lock);
    dispatcher_done = true;
    dispatcher_finished.notify_all();
  }

  // Completions run with the engine unlocked: they wake waiters and run
  // map/imap bookkeeping, which may call back into submit().
  void run_completions(std::unique_lock<std::mutex>& lock) {
    while (!completions.empty()) {
      // The two vectors trade places and keep their capacity: a fresh one
      // each round grew by reallocation, a large-block malloc per doubling.
      applying.swap(completions);
      lock.unlock();
      for (auto& c : applying) apply(c);
      applying.clear();
      lock.lock();
    }
  }

  void wake_locked() {
    if (!dispatcher_sleeping) return;  // it will look again before sleeping
    io::eventfd_notify(wake.get());
    // One write wakes it; the submits that follow before it takes the lock
    // again need not write too (a write per task was a system call each).
    dispatcher_sleeping = false;
  }

  // --- what pool_engine's members do -----------------------------------

  // Forks the workers and starts the dispatcher. Errors: as spawn(), or
  // std::system_error for the thread; then nothing is left running.
  void start() {
    if (int err = io::create_eventfd(wake)) {
      throw std::system_error(err, std::generic_category(), "eventfd");
    }
    std::lock_guard lock(mutex);
    try {
      while (workers.size() < config.processes) {
        spawn_worker_locked(/*replacement=*/false);
      }
      // Inside the try: a thread the OS refuses (RLIMIT_NPROC counts
      // threads too) must not leave the workers just forked running.
      dispatcher = std::thread([this] { run(); });
    } catch (...) {
      for (auto& w : workers) {
        w->link->signal(SIGKILL);
        w->link->reap();
      }
      workers.clear();
      config.backend->retire();
      throw;
    }
  }

  // The owner's pool going away: stops what still runs.
  void shut_down() {
    if (dispatcher.joinable()) {
      terminate();
      dispatcher.join();
    }
  }

  void submit(std::span<const std::shared_ptr<task_record>> tasks) {
    std::vector<completion> rejected;
    {
      // Before the lock: a forked child's copy of it may be held forever.
      throw_unless_owner();
      // Immutable config, read without the lock: the check may scan the
      // loaded modules.
      if (config.check_task) {
        for (const auto& t : tasks) config.check_task(*t);
      }
      std::lock_guard lock(mutex);
      if (state != phase::running) throw usage_error("Pool not running");
      // Checked before any of the batch is queued: a bad cap fails the
      // call, not the task.
      for (const auto& t : tasks) {
        if (t->limits) {
          t->limit_frame = encode_task_limits(
              plan_task_limits(*t->limits, config.worker_limits));
        }
      }
      for (const auto& t : tasks) {
        if (!t->timeout) continue;
        // Huge means no limit (and start + timeout could not overflow).
        if (*t->timeout >= kNoLimit) t->timeout.reset();
      }
      bool queued = false;
      for (const auto& t : tasks) {
        if (broken) {
          rejected.push_back({t, task_outcome::broken, {}, 0, broken_message});
        } else if (t->timeout && t->timeout->count() <= 0) {
          // Its time is up before any worker could start it: a timeout,
          // decided here (as async() does), costing no worker.
          rejected.push_back({t, task_outcome::timed_out, {}, 0, {}});
        } else {
          queue.push_back(t);
          queued = true;
        }
      }
      if (queued) wake_locked();
    }
    for (auto& c : rejected) apply(c);
  }

  bool cancel(const std::shared_ptr<task_record>& task) {
    {
      // Before the lock: a forked child's copy of it may be held forever.
      throw_unless_owner();
      std::lock_guard lock(mutex);
      // Claim the outcome first: once it says cancelled, a result that
      // arrives later is dropped (the first outcome stands), so cancel()
      // returning true always means get() throws cancelled_error. A result
      // that won the race makes this false, whatever the queue or the
      // worker still shows.
      {
        std::lock_guard task_lock(task->mutex);
        if (task->outcome != task_outcome::pending) return false;
        task->outcome = task_outcome::cancelled;
      }
      auto it = std::find(queue.begin(), queue.end(), task);
      if (it != queue.end()) {
        queue.erase(it);
      } else {
        for (auto& w : workers) {
          for (std::uint32_t slot = 0; slot < kSlots; ++slot) {
            if (w->tasks[slot] != task) continue;
            std::uint32_t expected = wire::slot_queued;
            // Queued: the worker skips it (a back end whose page is a
            // mirror passes the cancel on). Otherwise, if it is still
            // running, stop it the only way there is; if it has returned,
            // its result is on the way and the outcome claimed above drops
            // it.
            if (w->link->slot(slot).state.compare_exchange_strong(
                    expected, wire::slot_cancelled,
                    std::memory_order_acq_rel)) {
              w->link->settle_cancel(slot);
            } else if (kill_for_task_locked(*w, slot,
                                            task_outcome::cancelled)) {
              w->link->settle_cancel(slot);
              wake_locked();
            }
          }
        }
      }
    }
    notify_done(task);
    return true;
  }

  void close() {
    // Before the lock: a forked child's copy of it may be held forever.
    throw_unless_owner();
    std::lock_guard lock(mutex);
    if (state == phase::running) state = phase::closed;
    wake_locked();
  }

  void terminate() {
    // Before the lock: a forked child's copy of it may be held forever.
    throw_unless_owner();
    std::lock_guard lock(mutex);
    if (state == phase::terminating) return;
    state = phase::terminating;
    fail_queue_locked(task_outcome::cancelled, "pool terminated");
    for (auto& w : workers) {
      if (!w->killed) {
        w->killed = true;
        w->kill_outcome = task_outcome::cancelled;
        w->link->signal(SIGTERM);
      }
    }
    // A grace beyond kNoLimit means: never escalate to SIGKILL.
    if (config.kill_grace < kNoLimit) {
      kill_at = clock::now() +
                std::chrono::duration_cast<clock::duration>(config.kill_grace);
    }
    wake_locked();
  }

  void join() {
    {
      // Before the lock: a forked child's copy of it may be held forever.
      throw_unless_owner();
      std::lock_guard lock(mutex);
      if (state == phase::running) throw usage_error("Pool is still running");
    }
    // std::thread::join from two threads at once is undefined.
    std::lock_guard lock(join_mutex);
    if (dispatcher.joinable()) dispatcher.join();
  }

  bool join_until(std::optional<clock::time_point> deadline) {
    if (deadline) {
      throw_unless_owner();
      std::unique_lock lock(mutex);
      if (state == phase::running) throw usage_error("Pool is still running");
      if (!dispatcher_finished.wait_until(lock, *deadline,
                                          [this] { return dispatcher_done; })) {
        return false;
      }
    }
    join();
    return true;
  }
};

pool_engine::pool_engine(pool_config config)
    : processes_(config.processes),
      impl_(std::make_unique<impl>(std::move(config))) {
  if (processes_ < 1)
    throw usage_error("Number of processes must be at least 1");
  impl_->start();
}

pool_engine::~pool_engine() {
  if (this_pid() != impl_->owner) {
    // A forked child's copy: its thread object names a thread that exists
    // only in the parent, and its workers are the parent's. Leave it all
    // untouched (the copy's memory goes with the process), as the registry
    // abandons its own inherited copy. Kept reachable so that leak checkers
    // do not report it.
    try {
      static auto* abandoned = new std::vector<std::unique_ptr<impl>>();
      abandoned->push_back(std::move(impl_));
    } catch (...) {
      static_cast<void>(impl_.release());
    }
    return;
  }
  impl_->shut_down();
}

void pool_engine::submit(std::shared_ptr<task_record> task) {
  impl_->submit(std::span<const std::shared_ptr<task_record>>(&task, 1));
}

void pool_engine::submit(std::span<const std::shared_ptr<task_record>> tasks) {
  impl_->submit(tasks);
}

bool pool_engine::cancel(const std::shared_ptr<task_record>& task) {
  return impl_->cancel(task);
}

void pool_engine::close() { impl_->close(); }

void pool_engine::terminate() { impl_->terminate(); }

void pool_engine::join() { impl_->join(); }

bool pool_engine::join_until(
    std::optional<std::chrono::steady_clock::time_point> deadline) {
  return impl_->join_until(deadline);
}

std::shared_ptr<worker_backend> pool_engine::default_backend(
    start_method method) {
  return process_worker_backend(method);
}

void pool_engine::throw_unless_owner() const { impl_->throw_unless_owner(); }

}  // namespace multiproc::inline v0::detail
