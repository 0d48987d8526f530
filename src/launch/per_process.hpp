// One object per process for the launch seam's process-wide helpers (the
// anchor thread, the forkserver client). A fork child's copy of such an
// object belongs to its parent: its threads, sockets and locks are the
// parent's, so the child abandons it (never destroys it) and makes its own.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <mutex>
#include <new>

#include "posix/this_pid.hpp"

namespace multiproc::inline v0::detail {

template <class T>
class per_process {
 public:
  /// This process's T: `make()` (a T* from new, or null after setting its
  /// own error) is called when this process has none yet. The object is
  /// never destroyed: it must outlive exit. Thread safety: any thread.
  template <class Make>
  static T* get(Make make) noexcept {
    reset_lock_in_fork_children();
    std::lock_guard lock(creation_lock());
    const pid_t me = this_pid();
    if (current_ == nullptr || owner_ != me) {
      T* fresh = make();
      if (fresh == nullptr) return nullptr;
      current_ = fresh;
      owner_ = me;
    }
    return current_;
  }

 private:
  static std::mutex& creation_lock() noexcept {
    static std::mutex lock;
    return lock;
  }
  // A fork by another thread while the lock is held would copy it locked,
  // and the child's first get() would hang: every fork child (ours or the
  // user's) makes it anew, unlocked.
  static void reset_lock_in_fork_children() noexcept {
    static const bool registered = [] {
      ::pthread_atfork(nullptr, nullptr,
                       [] { new (&creation_lock()) std::mutex; });
      return true;
    }();
    (void)registered;
  }

  static inline T* current_ = nullptr;
  static inline pid_t owner_ = 0;
};

}  // namespace multiproc::inline v0::detail
