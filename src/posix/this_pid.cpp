#include "posix/this_pid.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>

namespace multiproc::inline v0::detail {
namespace {

std::atomic<pid_t> g_pid{0};

void refresh_after_fork() noexcept {
  g_pid.store(::getpid(), std::memory_order_relaxed);
}

}  // namespace

pid_t this_pid() noexcept {
  pid_t pid = g_pid.load(std::memory_order_relaxed);
  if (pid != 0) return pid;
  // Registered before the cache is filled, so that no fork can come between
  // the two and leave a child with its parent's pid. Several threads may
  // race here; each stores the same value, and a duplicate handler only
  // stores it twice.
  static const bool registered =
      ::pthread_atfork(nullptr, nullptr, &refresh_after_fork) == 0;
  pid = ::getpid();
  if (registered) g_pid.store(pid, std::memory_order_relaxed);
  return pid;
}

}  // namespace multiproc::inline v0::detail
