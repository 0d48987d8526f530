#include "posix/fd_passing.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "posix/io.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail::fd_passing {
namespace {

// Room for kMaxFds fds, aligned as cmsghdr requires.
union control_buffer {
  char bytes[CMSG_SPACE(sizeof(int) * kMaxFds)];
  cmsghdr align;
};

}  // namespace

int send(int socket, std::span<const std::byte> data,
         std::span<const int> fds) noexcept {
  if (fds.size() > kMaxFds || data.empty()) return EINVAL;
  iovec part{const_cast<std::byte*>(data.data()), data.size()};
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  control_buffer control{};
  if (!fds.empty()) {
    message.msg_control = control.bytes;
    message.msg_controllen = CMSG_SPACE(sizeof(int) * fds.size());
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
    std::memcpy(CMSG_DATA(header), fds.data(), sizeof(int) * fds.size());
  }
  const ssize_t sent = io::retry_on_eintr(
      [&] { return sys::sendmsg(socket, &message, MSG_NOSIGNAL); });
  if (sent < 0) return errno;
  // A stream socket may take part of it; the protocols here use
  // SOCK_SEQPACKET, where that cannot happen.
  return static_cast<std::size_t>(sent) == data.size() ? 0 : EMSGSIZE;
}

int receive(int socket, std::span<std::byte> data, std::size_t& got,
            std::vector<unique_fd>& fds) noexcept {
  iovec part{data.data(), data.size()};
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  control_buffer control{};
  message.msg_control = control.bytes;
  message.msg_controllen = sizeof(control.bytes);
  const ssize_t n = io::retry_on_eintr(
      [&] { return sys::recvmsg(socket, &message, MSG_CMSG_CLOEXEC); });
  if (n < 0) return errno;
  got = static_cast<std::size_t>(n);
  int err = 0;
  // Every fd that arrived is taken, even when the message is refused, so
  // that none leaks.
  for (cmsghdr* header = CMSG_FIRSTHDR(&message); header != nullptr;
       header = CMSG_NXTHDR(&message, header)) {
    if (header->cmsg_level != SOL_SOCKET || header->cmsg_type != SCM_RIGHTS) {
      continue;
    }
    const std::size_t count = (header->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (std::size_t i = 0; i < count; ++i) {
      int fd = -1;
      std::memcpy(&fd, CMSG_DATA(header) + i * sizeof(int), sizeof(int));
      unique_fd owned(fd);
      if (err != 0) continue;
      try {
        fds.push_back(std::move(owned));
      } catch (const std::bad_alloc&) {
        err = ENOMEM;
      }
    }
  }
  if (err == 0 && (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
    err = EMSGSIZE;
  }
  if (err != 0) fds.clear();
  return err;
}

}  // namespace multiproc::inline v0::detail::fd_passing
