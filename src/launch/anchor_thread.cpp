// The anchor thread: PR_SET_PDEATHSIG follows the thread that made a child,
// so children that must die with their creating *process* are made on a
// thread that lives as long as the process. Shared by the fork and spawn
// launchers.
#include "launch/anchor_thread.hpp"

#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <new>
#include <system_error>
#include <thread>

#include "launch/per_process.hpp"
#include "posix/library_thread.hpp"

namespace multiproc::inline v0::detail {
namespace {

// PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not
// when its process does (prctl(2); kernel/exit.c forget_original_parent). A
// child started with kill_on_parent_death from a short-lived thread would be
// killed when that thread ends. So such children are forked by an anchor
// thread that lives as long as the process.
class anchor_thread {
 public:
  int launch(anchored_start start, const launch_request& request,
             std::unique_ptr<child_handle>& out) noexcept {
    const sigset_t caller_mask = signal_mask_of_this_thread();
    const sigset_t* mask = request.options.signal_mask != nullptr
                               ? request.options.signal_mask
                               : &caller_mask;
    job work{start, &request, mask, &out, 0, false};
    std::unique_lock lock(mutex_);
    queue_ready_.wait(lock, [this] { return pending_ == nullptr; });
    pending_ = &work;
    wake_.notify_all();
    done_.wait(lock, [&work] { return work.finished; });
    return work.result;
  }

  /// The anchor of this process, or null (with `err` set) when the OS
  /// refuses the thread (RLIMIT_NPROC counts threads; EAGAIN): launch()
  /// is noexcept and std::thread's exception would end the program, so it
  /// becomes the error of this one start() and the next start() tries
  /// again. After a fork, the child's copy of the anchor has no thread
  /// behind it, so each process makes its own.
  static anchor_thread* instance(int& err) noexcept {
    return per_process<anchor_thread>::get([&err]() -> anchor_thread* {
      auto* fresh = new (std::nothrow) anchor_thread();
      if (fresh == nullptr) {
        err = ENOMEM;
        return nullptr;
      }
      try {
        std::thread([fresh] { fresh->serve(); }).detach();
      } catch (const std::system_error& e) {
        delete fresh;
        err = e.code().value();
        return nullptr;
      } catch (...) {  // std::bad_alloc for the thread's state
        delete fresh;
        err = ENOMEM;
        return nullptr;
      }
      return fresh;
    });
  }

 private:
  struct job {
    anchored_start start;
    const launch_request* request;
    const sigset_t* mask;
    std::unique_ptr<child_handle>* out;
    int result;
    bool finished;
  };

  void serve() {
    block_all_signals_on_this_thread();
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return pending_ != nullptr; });
      job* work = pending_;
      work->result = work->start(*work->request, work->mask, *work->out);
      work->finished = true;
      pending_ = nullptr;
      done_.notify_all();
      queue_ready_.notify_all();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_, done_, queue_ready_;
  job* pending_ = nullptr;
};

}  // namespace

int launch_on_anchor(anchored_start start, const launch_request& request,
                     std::unique_ptr<child_handle>& out) noexcept {
  int err = 0;
  anchor_thread* anchor = anchor_thread::instance(err);
  return anchor != nullptr ? anchor->launch(start, request, out) : err;
}

}  // namespace multiproc::inline v0::detail
