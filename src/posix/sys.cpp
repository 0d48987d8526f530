#include "posix/sys.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>

namespace multiproc::detail::sys {
namespace {

struct injected {
  std::atomic<int> error{0};
  std::atomic<int> remaining{0};
};

std::array<injected, static_cast<std::size_t>(call::count_)> g_injected;
// Fast path: one relaxed load tells whether any injection is pending at all.
std::atomic<bool> g_any_injected{false};

// True (with errno set) when this call must fail by injection.
bool fails(call which) noexcept {
  if (!g_any_injected.load(std::memory_order_relaxed)) return false;
  injected& slot = g_injected[static_cast<std::size_t>(which)];
  int left = slot.remaining.load(std::memory_order_acquire);
  while (left > 0) {
    if (slot.remaining.compare_exchange_weak(left, left - 1,
                                             std::memory_order_acq_rel)) {
      errno = slot.error.load(std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

}  // namespace

void inject_failure(call which, int error, int times) noexcept {
  injected& slot = g_injected[static_cast<std::size_t>(which)];
  slot.error.store(error, std::memory_order_relaxed);
  slot.remaining.store(times, std::memory_order_release);
  g_any_injected.store(true, std::memory_order_relaxed);
}

void clear_injected_failures() noexcept {
  for (injected& slot : g_injected) slot.remaining.store(0);
  g_any_injected.store(false);
}

pid_t fork() noexcept { return fails(call::fork) ? -1 : ::fork(); }

int pidfd_open(pid_t pid, unsigned flags) noexcept {
  if (fails(call::pidfd_open)) return -1;
  return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags));
}

int pidfd_send_signal(int pidfd, int signo) noexcept {
  if (fails(call::pidfd_send_signal)) return -1;
  return static_cast<int>(
      ::syscall(SYS_pidfd_send_signal, pidfd, signo, nullptr, 0U));
}

int waitid(idtype_t idtype, id_t id, siginfo_t* info, int options) noexcept {
  return fails(call::waitid) ? -1 : ::waitid(idtype, id, info, options);
}

int ppoll(pollfd* fds, nfds_t nfds, const timespec* timeout) noexcept {
  return fails(call::ppoll) ? -1 : ::ppoll(fds, nfds, timeout, nullptr);
}

int open(const char* path, int flags) noexcept {
  return fails(call::open) ? -1 : ::open(path, flags);
}

int dup2(int oldfd, int newfd) noexcept {
  return fails(call::dup2) ? -1 : ::dup2(oldfd, newfd);
}

int ioctl(int fd, unsigned long request, void* arg) noexcept {
  return fails(call::ioctl) ? -1 : ::ioctl(fd, request, arg);
}

}  // namespace multiproc::detail::sys
