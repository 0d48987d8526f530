// The one door through which src/posix/ reaches the kernel.
//
// Every system call the library makes that can fail goes through a wrapper
// here. Each wrapper behaves exactly like the libc call (returns -1 and sets
// errno on failure) unless a test has asked, through inject_failure(), for
// the next calls to fail with a chosen errno. That lets the tests drive every
// error path instead of trusting that it was written correctly.
//
// Async-signal safety: every wrapper is async-signal-safe (the injection
// check is a lock-free atomic), so the child may use them between fork and
// the user's code.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>

namespace multiproc::detail::sys {

enum class call {
  fork,
  pidfd_open,
  pidfd_send_signal,
  waitid,
  ppoll,
  open,
  dup2,
  ioctl,
  count_  // number of entries; keep last
};

/// Makes the next `times` calls of `which` fail with `error` without
/// reaching the kernel. Thread safety: any thread. For tests.
void inject_failure(call which, int error, int times = 1) noexcept;
/// Cancels every pending injected failure.
void clear_injected_failures() noexcept;

pid_t fork() noexcept;
int pidfd_open(pid_t pid, unsigned flags) noexcept;
int pidfd_send_signal(int pidfd, int signo) noexcept;
int waitid(idtype_t idtype, id_t id, siginfo_t* info, int options) noexcept;
int ppoll(pollfd* fds, nfds_t nfds, const timespec* timeout) noexcept;
int open(const char* path, int flags) noexcept;
int dup2(int oldfd, int newfd) noexcept;
int ioctl(int fd, unsigned long request, void* arg) noexcept;

}  // namespace multiproc::detail::sys
