#include "posix/sys.hpp"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstddef>

namespace multiproc::inline v0::detail::sys {
namespace {

struct injected {
  std::atomic<int> error{0};
  std::atomic<int> skip{0};  // calls still let through before failing
  std::atomic<int> remaining{0};
};

std::array<injected, static_cast<std::size_t>(call::count_)> g_injected;
// Fast path: one relaxed load tells whether any injection is pending at all.
std::atomic<bool> g_any_injected{false};

// True (with errno set) when this call must fail by injection.
bool fails(call which) noexcept {
  if (!g_any_injected.load(std::memory_order_relaxed)) return false;
  injected& slot = g_injected[static_cast<std::size_t>(which)];
  if (slot.remaining.load(std::memory_order_acquire) <= 0) return false;
  int pass = slot.skip.load(std::memory_order_acquire);
  while (pass > 0) {
    if (slot.skip.compare_exchange_weak(pass, pass - 1,
                                        std::memory_order_acq_rel)) {
      return false;
    }
  }
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

void inject_failure(call which, int error, int times, int after) noexcept {
  injected& slot = g_injected[static_cast<std::size_t>(which)];
  slot.error.store(error, std::memory_order_relaxed);
  slot.skip.store(after, std::memory_order_relaxed);
  slot.remaining.store(times, std::memory_order_release);
  g_any_injected.store(true, std::memory_order_relaxed);
}

void clear_injected_failures() noexcept {
  for (injected& slot : g_injected) {
    slot.remaining.store(0);
    slot.skip.store(0);
  }
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

int waitid(idtype_t idtype, id_t id, siginfo_t* info, int options,
           struct rusage* usage) noexcept {
  if (fails(call::waitid)) return -1;
  return static_cast<int>(
      ::syscall(SYS_waitid, idtype, id, info, options, usage));
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

int socketpair(int domain, int type, int protocol, int fds[2]) noexcept {
  if (fails(call::socketpair)) return -1;
  return ::socketpair(domain, type, protocol, fds);
}

int eventfd(unsigned initval, int flags) noexcept {
  return fails(call::eventfd) ? -1 : ::eventfd(initval, flags);
}

int memfd_create(const char* name, unsigned flags) noexcept {
  return fails(call::memfd_create) ? -1 : ::memfd_create(name, flags);
}

void* mmap(void* addr, std::size_t length, int prot, int flags, int fd,
           off_t offset) noexcept {
  if (fails(call::mmap)) return MAP_FAILED;
  return ::mmap(addr, length, prot, flags, fd, offset);
}

int mprotect(void* addr, std::size_t length, int prot) noexcept {
  return fails(call::mprotect) ? -1 : ::mprotect(addr, length, prot);
}

int fcntl(int fd, int command, int arg) noexcept {
  return fails(call::fcntl) ? -1 : ::fcntl(fd, command, arg);
}

ssize_t read(int fd, void* data, std::size_t size) noexcept {
  return fails(call::read) ? -1 : ::read(fd, data, size);
}

ssize_t write(int fd, const void* data, std::size_t size) noexcept {
  return fails(call::write) ? -1 : ::write(fd, data, size);
}

ssize_t pread(int fd, void* data, std::size_t size, off_t offset) noexcept {
  return fails(call::pread) ? -1 : ::pread(fd, data, size, offset);
}

ssize_t pwrite(int fd, const void* data, std::size_t size,
               off_t offset) noexcept {
  return fails(call::pwrite) ? -1 : ::pwrite(fd, data, size, offset);
}

ssize_t send(int fd, const void* data, std::size_t size, int flags) noexcept {
  return fails(call::send) ? -1 : ::send(fd, data, size, flags);
}

ssize_t recv(int fd, void* data, std::size_t size, int flags) noexcept {
  return fails(call::recv) ? -1 : ::recv(fd, data, size, flags);
}

int ftruncate(int fd, off_t length) noexcept {
  return fails(call::ftruncate) ? -1 : ::ftruncate(fd, length);
}

int fstat(int fd, struct stat* out) noexcept {
  return fails(call::fstat) ? -1 : ::fstat(fd, out);
}

int kill(pid_t pid, int signo) noexcept {
  return fails(call::kill) ? -1 : ::kill(pid, signo);
}

pid_t waitpid(pid_t pid, int* status, int options) noexcept {
  return fails(call::waitpid) ? -1 : ::waitpid(pid, status, options);
}

int setpgid(pid_t pid, pid_t pgid) noexcept {
  return fails(call::setpgid) ? -1 : ::setpgid(pid, pgid);
}

int prctl(int option, unsigned long arg) noexcept {
  return fails(call::prctl) ? -1 : ::prctl(option, arg, 0UL, 0UL, 0UL);
}

int timer_create(clockid_t clock, sigevent* event, timer_t* out) noexcept {
  return fails(call::timer_create) ? -1 : ::timer_create(clock, event, out);
}

int timer_settime(timer_t timer, int flags, const itimerspec* value) noexcept {
  if (fails(call::timer_settime)) return -1;
  return ::timer_settime(timer, flags, value, nullptr);
}

int futex_wait(const std::uint32_t* word, std::uint32_t expected,
               const timespec* deadline) noexcept {
  if (fails(call::futex_wait)) return -1;
  return static_cast<int>(::syscall(SYS_futex, word, FUTEX_WAIT_BITSET,
                                    expected, deadline, nullptr,
                                    FUTEX_BITSET_MATCH_ANY));
}

int futex_wake(const std::uint32_t* word, int count) noexcept {
  return static_cast<int>(
      ::syscall(SYS_futex, word, FUTEX_WAKE, count, nullptr, nullptr, 0));
}

int shm_open(const char* name, int flags, mode_t mode) noexcept {
  return fails(call::shm_open) ? -1 : ::shm_open(name, flags, mode);
}

int shm_unlink(const char* name) noexcept {
  return fails(call::shm_unlink) ? -1 : ::shm_unlink(name);
}

int posix_spawn(pid_t* pid, const char* path,
                const posix_spawn_file_actions_t* actions,
                const posix_spawnattr_t* attributes, char* const argv[],
                char* const envp[]) noexcept {
  if (fails(call::posix_spawn)) return errno;
  return ::posix_spawn(pid, path, actions, attributes, argv, envp);
}

ssize_t sendmsg(int fd, const struct msghdr* message, int flags) noexcept {
  return fails(call::sendmsg) ? -1 : ::sendmsg(fd, message, flags);
}

ssize_t recvmsg(int fd, struct msghdr* message, int flags) noexcept {
  return fails(call::recvmsg) ? -1 : ::recvmsg(fd, message, flags);
}

}  // namespace multiproc::inline v0::detail::sys
