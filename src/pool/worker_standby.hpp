// One pool worker started ahead of need, so that replacing a worker under
// forkserver or spawn costs a hand-over, not a start.
//
// A forkserver start is a round trip to the server and a spawn is an exec:
// done by the dispatcher when a worker dies, the start is on the path of
// every task waiting for that worker. A standby is started by a thread of
// its own while the pool works, and waits, held, without running the
// initializer or any task (worker_main.hpp's `held`), until the pool takes
// it; then it gets a `go` frame and is a worker like the others. One that
// is never taken is killed when the pool ends, having run none of the
// user's code.
//
// Fork pools keep none: a fork copies the parent as it is at the start, and
// a worker started ahead would hold an older copy than Python's would.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "multiproc/start_method.hpp"
#include "pool/process_worker.hpp"
#include "pool/worker_backend.hpp"

namespace multiproc::inline v0::detail {

class worker_standby {
 public:
  explicit worker_standby(start_method method) : method_(method) {}
  ~worker_standby() { retire(); }
  worker_standby(const worker_standby&) = delete;
  worker_standby& operator=(const worker_standby&) = delete;

  /// The worker started ahead, told to go; waits for one being started.
  /// Null when there is none, or when it failed to start or has died (the
  /// caller then starts one itself, and sees its error).
  std::unique_ptr<process_worker> take();

  /// Starts one in the background, a few milliseconds from now (so that it
  /// does not compete with the worker just handed over), from a copy of
  /// `args` (whose pointers must stay valid until retire()), unless one is
  /// ready or under way. Without memory or a thread it does nothing: the
  /// next take() finds none.
  void prepare(const worker_spawn_args& args) noexcept;

  /// No more are wanted: waits for a start under way, kills and reaps the
  /// one held, and ends the thread. Safe to call more than once.
  void retire() noexcept;

 private:
  void run();

  start_method method_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread thread_;
  std::unique_ptr<worker_spawn_args> wanted_;  // a start asked for
  bool starting_ = false;                      // the thread is starting one
  bool taking_ = false;  // take() is waiting: start without holding off
  bool retired_ = false;
  std::unique_ptr<process_worker> ready_;
};

}  // namespace multiproc::inline v0::detail
