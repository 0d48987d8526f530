#include "pool/worker_standby.hpp"

#include <signal.h>

#include <chrono>
#include <utility>

#include "pool/wire.hpp"
#include "posix/library_thread.hpp"
#include "posix/pidfd.hpp"

namespace multiproc::inline v0::detail {

namespace {

// How long a start waits after it is asked for. A start is the server's
// fork and the new copy's setup: at once, on two cores, it takes the CPU
// from the worker just handed over, whose first task then took 1.5-2x as
// long (measured: 380 against 230 us under forkserver, 300 against 160
// under spawn). A take() meanwhile cuts the wait short.
constexpr std::chrono::milliseconds kHoldOff{5};

void kill_and_reap(process_worker& w) noexcept {
  w.signal(SIGKILL);
  try {
    w.reap();
  } catch (...) {
    // Nothing to report to: the process object still reaps it at exit.
  }
}

}  // namespace

std::unique_ptr<process_worker> worker_standby::take() {
  std::unique_ptr<process_worker> w;
  {
    std::unique_lock lock(mutex_);
    // A start asked for or under way is nearer its end than a new one
    // would be; one held off (kHoldOff) goes now.
    taking_ = true;
    changed_.notify_all();
    changed_.wait(lock,
                  [this] { return retired_ || (!wanted_ && !starting_); });
    taking_ = false;
    w = std::move(ready_);
  }
  if (!w) return nullptr;
  if (pidfd::has_ended(w->death_fd())) {
    // Killed while it waited (by the user, the OOM killer): start afresh
    // rather than hand the pool a worker that is already dead.
    kill_and_reap(*w);
    return nullptr;
  }
  w->queue_frame(wire::frame_kind::go, 0, 0, {});
  w->flush();
  return w;
}

void worker_standby::prepare(const worker_spawn_args& args) noexcept {
  std::lock_guard lock(mutex_);
  if (retired_ || ready_ || starting_ || wanted_) return;
  try {
    wanted_ = std::make_unique<worker_spawn_args>(args);
    // Started from this object's thread, which may end before the worker:
    // the launcher ties kill_on_parent_death to the process instead.
    wanted_->caller_outlives_child = false;
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  } catch (...) {
    // No memory or no thread: the next replacement starts its own worker,
    // as it would without a standby.
    wanted_.reset();
    return;
  }
  changed_.notify_all();
}

void worker_standby::run() {
  block_all_signals_on_this_thread();
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait(lock, [this] { return retired_ || wanted_ != nullptr; });
    changed_.wait_for(lock, kHoldOff, [this] { return retired_ || taking_; });
    if (retired_) return;
    const std::unique_ptr<worker_spawn_args> args = std::move(wanted_);
    starting_ = true;
    lock.unlock();
    std::unique_ptr<process_worker> w;
    try {
      w = process_worker::spawn(*args, method_, /*held=*/true);
    } catch (...) {
      // take() finds none and the pool starts a worker itself, which
      // reports the error where the pool can act on it.
    }
    lock.lock();
    starting_ = false;
    ready_ = std::move(w);
    changed_.notify_all();
  }
}

void worker_standby::retire() noexcept {
  {
    std::lock_guard lock(mutex_);
    retired_ = true;
    wanted_.reset();
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();  // after the start under way
  std::unique_ptr<process_worker> held;
  {
    std::lock_guard lock(mutex_);
    held = std::move(ready_);
  }
  if (held) kill_and_reap(*held);
}

}  // namespace multiproc::inline v0::detail
