// The one door through which the library reaches the kernel.
//
// Every system call in src/posix/, src/async/ and src/pool/ that creates a
// file descriptor or can otherwise fail goes through a wrapper here (close
// and munmap, which release, do not). Each wrapper behaves exactly like the
// libc call (returns -1 and sets errno on failure) unless a test has asked,
// through inject_failure(), for the next calls to fail with a chosen errno.
// That lets the tests drive every error path instead of trusting that it was
// written correctly.
//
// Async-signal safety: every wrapper is async-signal-safe (the injection
// check is a lock-free atomic), so the child may use them between fork and
// the user's code.
#pragma once

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>

#include <cstddef>
#include <cstdint>

namespace multiproc::inline v0::detail::sys {

enum class call {
  fork,
  pidfd_open,
  pidfd_send_signal,
  waitid,
  ppoll,
  open,
  dup2,
  ioctl,
  // Descriptors and memory.
  socketpair,
  eventfd,
  memfd_create,
  mmap,
  mprotect,
  fcntl,
  // I/O on them.
  read,
  write,
  pread,
  pwrite,
  send,
  recv,
  ftruncate,
  fstat,
  // Processes and timers.
  kill,
  waitpid,
  setpgid,
  prctl,
  timer_create,
  timer_settime,
  // Waiting in shared memory (src/sync/).
  futex_wait,
  // Named shared memory (src/shm/).
  shm_open,
  shm_unlink,
  // Start methods that exec the program (src/launch/spawn_launcher.cpp).
  posix_spawn,
  // Fd passing to and from the forkserver (src/launch/forkserver_*.cpp).
  sendmsg,
  recvmsg,
  count_  // number of entries; keep last
};

/// Makes the next `times` calls of `which` fail with `error` without
/// reaching the kernel, after letting the first `after` calls through (to
/// fail, say, the third worker of a pool). The state is plain memory, so a
/// child forked meanwhile inherits what is left of it. Thread safety: any
/// thread. For tests.
void inject_failure(call which, int error, int times = 1,
                    int after = 0) noexcept;
/// Cancels every pending injected failure.
void clear_injected_failures() noexcept;

pid_t fork() noexcept;
int pidfd_open(pid_t pid, unsigned flags) noexcept;
int pidfd_send_signal(int pidfd, int signo) noexcept;
int waitid(idtype_t idtype, id_t id, siginfo_t* info, int options) noexcept;
/// The raw waitid system call, whose fifth argument (which glibc's wrapper
/// hides) receives the reaped child's resource usage (waitid(2), NOTES).
/// Injected failures as waitid() above.
int waitid(idtype_t idtype, id_t id, siginfo_t* info, int options,
           struct rusage* usage) noexcept;
int ppoll(pollfd* fds, nfds_t nfds, const timespec* timeout) noexcept;
int open(const char* path, int flags) noexcept;
int dup2(int oldfd, int newfd) noexcept;
int ioctl(int fd, unsigned long request, void* arg) noexcept;
int socketpair(int domain, int type, int protocol, int fds[2]) noexcept;
int eventfd(unsigned initval, int flags) noexcept;
int memfd_create(const char* name, unsigned flags) noexcept;
/// Returns MAP_FAILED (and sets errno) on failure, like mmap(2).
void* mmap(void* addr, std::size_t length, int prot, int flags, int fd,
           off_t offset) noexcept;
int mprotect(void* addr, std::size_t length, int prot) noexcept;
int fcntl(int fd, int command, int arg) noexcept;
ssize_t read(int fd, void* data, std::size_t size) noexcept;
ssize_t write(int fd, const void* data, std::size_t size) noexcept;
ssize_t pread(int fd, void* data, std::size_t size, off_t offset) noexcept;
ssize_t pwrite(int fd, const void* data, std::size_t size,
               off_t offset) noexcept;
ssize_t send(int fd, const void* data, std::size_t size, int flags) noexcept;
ssize_t recv(int fd, void* data, std::size_t size, int flags) noexcept;
int ftruncate(int fd, off_t length) noexcept;
int fstat(int fd, struct stat* out) noexcept;
int kill(pid_t pid, int signo) noexcept;
pid_t waitpid(pid_t pid, int* status, int options) noexcept;
int setpgid(pid_t pid, pid_t pgid) noexcept;
int prctl(int option, unsigned long arg) noexcept;
int timer_create(clockid_t clock, sigevent* event, timer_t* out) noexcept;
int timer_settime(timer_t timer, int flags, const itimerspec* value) noexcept;

/// FUTEX_WAIT_BITSET on a word that other processes may share (not
/// FUTEX_PRIVATE_FLAG): sleeps while `*word == expected`, until a wake or
/// the absolute CLOCK_MONOTONIC `deadline` (null: no limit). Monotonic
/// because FUTEX_CLOCK_REALTIME is not set (futex(2)). Returns 0 when woken,
/// -1 with errno EAGAIN (the word differed), ETIMEDOUT or EINTR.
int futex_wait(const std::uint32_t* word, std::uint32_t expected,
               const timespec* deadline) noexcept;
/// FUTEX_WAKE of up to `count` sleepers on `word`; returns how many woke.
/// Not injectable: like close(), a wake releases and cannot usefully fail.
int futex_wake(const std::uint32_t* word, int count) noexcept;
/// shm_open(3) with `name` as given (with its leading '/').
int shm_open(const char* name, int flags, mode_t mode) noexcept;
int shm_unlink(const char* name) noexcept;
/// posix_spawn(3); returns 0 or an error number (not -1 and errno), as it.
int posix_spawn(pid_t* pid, const char* path,
                const posix_spawn_file_actions_t* actions,
                const posix_spawnattr_t* attributes, char* const argv[],
                char* const envp[]) noexcept;

/// sendmsg(2) and recvmsg(2), for messages that carry fds (SCM_RIGHTS).
ssize_t sendmsg(int fd, const struct msghdr* message, int flags) noexcept;
ssize_t recvmsg(int fd, struct msghdr* message, int flags) noexcept;

}  // namespace multiproc::inline v0::detail::sys
