// The fork start method: fork(), then pidfd_open() on the child, held by a
// kernel_child handle (this process reaps it with waitid).
//
// Why not clone3(CLONE_PIDFD), which returns the pidfd atomically? Raw clone
// skips glibc's fork bookkeeping: the cached thread id in the thread
// descriptor, the reset of malloc's arena locks, pthread_atfork handlers.
// Arbitrary C++ in the child then deadlocks or misbehaves. fork() keeps glibc
// whole; the window it leaves (the pid could be reaped by a foreign
// waitpid(-1) and reused before pidfd_open) is closed by proving the pidfd
// with waitid(P_PIDFD, WNOWAIT) in pidfd::open_child.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <system_error>
#include <thread>

#include "launch/child_setup.hpp"
#include "launch/kernel_child.hpp"
#include "launch/launcher.hpp"
#include "posix/io.hpp"
#include "posix/library_thread.hpp"
#include "posix/pidfd.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail {
namespace {

int fork_child(const launch_request& request, const sigset_t* child_mask,
               std::unique_ptr<child_handle>& out) noexcept {
  const pid_t parent = ::getpid();
  // Made before the fork, so that a refusal leaves no child to clean up.
  std::unique_ptr<kernel_child> handle(new (std::nothrow) kernel_child(parent));
  if (!handle) return ENOMEM;
  const pid_t pid = sys::fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    prepare_child({parent, request.kill_on_parent_death, child_mask,
                   request.fds, request.limits});
    request.child_main(request.context);
    ::_exit(1);  // child_main never returns; this is belt and braces.
  }
  unique_fd pidfd;
  int err = pidfd::open_child(pid, pidfd);
  if (err == 0 || err == ESRCH || err == ECHILD) {
    // ESRCH/ECHILD: a foreign reaper already took the child. It did start;
    // the handle reports it as ended with its status unknown.
    handle->adopt(pid, std::move(pidfd));
    out = std::move(handle);
    return 0;
  }
  // We made a child we cannot hold (out of fds, say). It is still our
  // unreaped child, so its pid cannot have been reused: kill and reap it by
  // pid, and report the error with nothing left behind.
  sys::kill(pid, SIGKILL);
  io::reap_by_pid(pid);
  return err;
}

// PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, not
// when its process does (prctl(2); kernel/exit.c forget_original_parent). A
// child started with kill_on_parent_death from a short-lived thread would be
// killed when that thread ends. So such children are forked by an anchor
// thread that lives as long as the process.
class anchor_thread {
 public:
  anchor_thread() : owner_(::getpid()) {}

  int launch(const launch_request& request,
             std::unique_ptr<child_handle>& out) noexcept {
    const sigset_t caller_mask = signal_mask_of_this_thread();
    const sigset_t* mask = request.options.signal_mask != nullptr
                               ? request.options.signal_mask
                               : &caller_mask;
    job work{&request, mask, &out, 0, false};
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
    static anchor_thread* current = nullptr;
    // The lock is taken by any thread starting such a child; a fork by
    // another thread at that moment would copy it locked, and the child's
    // first such start() would hang. The child re-creates it unlocked
    // (pthread_atfork: any fork, ours or the user's).
    static const bool registered = [] {
      ::pthread_atfork(nullptr, nullptr,
                       [] { new (&creation_lock()) std::mutex; });
      return true;
    }();
    (void)registered;
    std::lock_guard lock(creation_lock());
    if (current == nullptr || current->owner_ != ::getpid()) {
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
      current = fresh;  // Never destroyed: outlives exit.
    }
    return current;
  }

 private:
  struct job {
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
      work->result = fork_child(*work->request, work->mask, *work->out);
      work->finished = true;
      pending_ = nullptr;
      done_.notify_all();
      queue_ready_.notify_all();
    }
  }

  static std::mutex& creation_lock() noexcept {
    static std::mutex lock;
    return lock;
  }

  const pid_t owner_;
  std::mutex mutex_;
  std::condition_variable wake_, done_, queue_ready_;
  job* pending_ = nullptr;
};

class fork_launcher final : public launcher {
 public:
  int launch(const launch_request& request,
             std::unique_ptr<child_handle>& out) noexcept override {
    if (int err = check_fds(request.fds)) return err;
    const bool on_main_thread = ::gettid() == ::getpid();
    if (request.kill_on_parent_death && !on_main_thread &&
        !request.options.caller_outlives_child) {
      int err = 0;
      anchor_thread* anchor = anchor_thread::instance(err);
      return anchor != nullptr ? anchor->launch(request, out) : err;
    }
    return fork_child(request, request.options.signal_mask, out);
  }

 private:
  // Refused here rather than in the child, where the only way to fail is
  // to end it.
  static int check_fds(std::span<const passed_fd> fds) noexcept {
    if (fds.size() > kMaxPassedFds) return EINVAL;
    for (const passed_fd& p : fds) {
      if (p.fd < 0 || p.child_fd < 0) return EBADF;
    }
    return 0;
  }
};

}  // namespace

launcher& default_launcher() {
  static fork_launcher instance;
  return instance;
}

}  // namespace multiproc::inline v0::detail
