#include "posix/io.hpp"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <new>
#include <stdexcept>

#include "posix/sys.hpp"

namespace multiproc::inline v0::detail::io {

int write_all(int fd, std::span<const std::byte> data) noexcept {
  while (!data.empty()) {
    ssize_t n = retry_on_eintr(
        [&] { return sys::write(fd, data.data(), data.size()); });
    if (n < 0) return errno;
    data = data.subspan(static_cast<std::size_t>(n));
  }
  return 0;
}

int pwrite_all(int fd, std::span<const std::byte> data,
               std::uint64_t offset) noexcept {
  while (!data.empty()) {
    ssize_t n = retry_on_eintr([&] {
      return sys::pwrite(fd, data.data(), data.size(),
                         static_cast<off_t>(offset));
    });
    if (n < 0) return errno;
    data = data.subspan(static_cast<std::size_t>(n));
    offset += static_cast<std::uint64_t>(n);
  }
  return 0;
}

int pread_full(int fd, std::span<std::byte> data, std::uint64_t offset,
               std::size_t& got) noexcept {
  got = 0;
  while (got < data.size()) {
    ssize_t n = retry_on_eintr([&] {
      return sys::pread(fd, data.data() + got, data.size() - got,
                        static_cast<off_t>(offset + got));
    });
    if (n < 0) return errno;
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return 0;
}

int read_whole_file(int fd, std::vector<std::byte>& out) noexcept {
  std::uint64_t size = 0;
  if (int err = file_size(fd, size)) return err;
  try {
    out.assign(size, std::byte{0});
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  } catch (const std::length_error&) {
    return ENOMEM;
  }
  std::size_t got = 0;
  if (int err = pread_full(fd, out, 0, got)) return err;
  return got == size ? 0 : EIO;
}

int read_some(int fd, std::span<std::byte> data, std::size_t& got) noexcept {
  ssize_t n =
      retry_on_eintr([&] { return sys::read(fd, data.data(), data.size()); });
  got = n > 0 ? static_cast<std::size_t>(n) : 0;
  return n < 0 ? errno : 0;
}

int recv_some(int fd, std::span<std::byte> data, int flags,
              std::size_t& got) noexcept {
  ssize_t n = retry_on_eintr(
      [&] { return sys::recv(fd, data.data(), data.size(), flags); });
  got = n > 0 ? static_cast<std::size_t>(n) : 0;
  return n < 0 ? errno : 0;
}

int send_some(int fd, std::span<const std::byte> data, int flags,
              std::size_t& sent) noexcept {
  ssize_t n = retry_on_eintr(
      [&] { return sys::send(fd, data.data(), data.size(), flags); });
  sent = n > 0 ? static_cast<std::size_t>(n) : 0;
  return n < 0 ? errno : 0;
}

int file_size(int fd, std::uint64_t& size) noexcept {
  struct stat info {};
  if (sys::fstat(fd, &info) != 0) return errno;
  size = static_cast<std::uint64_t>(info.st_size);
  return 0;
}

int truncate(int fd, off_t length) noexcept {
  return retry_on_eintr([&] { return sys::ftruncate(fd, length); }) == 0
             ? 0
             : errno;
}

int stream_socketpair(unique_fd& first, unique_fd& second) noexcept {
  int pair[2];
  if (sys::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return errno;
  }
  first.reset(pair[0]);
  second.reset(pair[1]);
  return 0;
}

int create_eventfd(unique_fd& out) noexcept {
  int fd = sys::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return errno;
  out.reset(fd);
  return 0;
}

void eventfd_notify(int fd) noexcept {
  const std::uint64_t one = 1;
  (void)retry_on_eintr([&] { return sys::write(fd, &one, sizeof one); });
}

void eventfd_drain(int fd) noexcept {
  std::uint64_t count = 0;
  (void)retry_on_eintr([&] { return sys::read(fd, &count, sizeof count); });
}

void reap_by_pid(pid_t pid) noexcept {
  (void)retry_on_eintr([&] { return sys::waitpid(pid, nullptr, 0); });
}

}  // namespace multiproc::inline v0::detail::io
