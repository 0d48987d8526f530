// EINTR-safe reads and writes. Every loop that retries a system call when a
// signal handler interrupts it lives here, once, so callers above posix/
// never look at errno: each function returns 0 or an errno value.
//
// A signal whose handler was installed without SA_RESTART makes a blocking
// call fail with EINTR (signal(7)); the user's handlers are theirs to
// choose, so the library retries rather than fails.
#pragma once

#include <sys/types.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail::io {

/// Calls `call` until it does not fail with EINTR; returns its last
/// result (errno is set when that is negative). For the loops in posix/.
template <class Call>
auto retry_on_eintr(Call call) noexcept {
  for (;;) {
    auto result = call();
    if (result >= 0 || errno != EINTR) return result;
  }
}

/// Writes all of `data`, retrying EINTR and short writes.
int write_all(int fd, std::span<const std::byte> data) noexcept;

/// pwrite(2)s all of `data` at `offset`, retrying EINTR and short writes.
int pwrite_all(int fd, std::span<const std::byte> data,
               std::uint64_t offset) noexcept;

/// pread(2)s up to data.size() bytes at `offset`, stopping early only at end
/// of file; `got` receives how many arrived.
int pread_full(int fd, std::span<std::byte> data, std::uint64_t offset,
               std::size_t& got) noexcept;

/// One read(2), retried on EINTR: `got` is 0 at end of file. EAGAIN comes
/// back as an error for non-blocking fds.
int read_some(int fd, std::span<std::byte> data, std::size_t& got) noexcept;

/// One recv(2) with `flags`, retried on EINTR, as read_some.
int recv_some(int fd, std::span<std::byte> data, int flags,
              std::size_t& got) noexcept;

/// One send(2) with `flags`, retried on EINTR: `sent` may be short.
int send_some(int fd, std::span<const std::byte> data, int flags,
              std::size_t& sent) noexcept;

/// The size of the file behind `fd` (fstat(2)).
int file_size(int fd, std::uint64_t& size) noexcept;

/// The whole file behind `fd` (a memfd, say), from offset 0: file_size(),
/// then pread_full(). EIO when it ends short of its size, ENOMEM when the
/// buffer cannot be had.
int read_whole_file(int fd, std::vector<std::byte>& out) noexcept;

/// ftruncate(2), retried on EINTR.
int truncate(int fd, off_t length) noexcept;

/// A connected pair of close-on-exec Unix stream sockets.
int stream_socketpair(unique_fd& first, unique_fd& second) noexcept;

/// A non-blocking, close-on-exec eventfd with a zero count.
int create_eventfd(unique_fd& out) noexcept;

/// Adds one to an eventfd counter. Fails only when the counter is at its
/// maximum, and then a reader will wake anyway, so nothing is reported.
void eventfd_notify(int fd) noexcept;

/// Reads and so resets an eventfd counter (a non-blocking eventfd with a
/// zero count is left as it is).
void eventfd_drain(int fd) noexcept;

/// waitpid(2) for one pid, blocking, retried on EINTR; the status is
/// dropped. For a child that must be reaped by pid (no pidfd could be had).
void reap_by_pid(pid_t pid) noexcept;

}  // namespace multiproc::inline v0::detail::io
