// One message with fds attached (SCM_RIGHTS) over a Unix socket: how the
// forkserver and its process hand each other fds that neither inherits.
// No function here throws; each returns 0 or an errno value.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail::fd_passing {

/// The most fds one message carries (the kernel's SCM_MAX_FD is 253).
inline constexpr std::size_t kMaxFds = 128;

/// Sends `data` (non-empty) as one message with copies of `fds`. On a
/// SOCK_SEQPACKET socket the message arrives whole or not at all. EINTR
/// is retried; EINVAL for more than kMaxFds fds.
int send(int socket, std::span<const std::byte> data,
         std::span<const int> fds) noexcept;

/// Receives one message into `data` and the fds that came with it (close-
/// on-exec) into `fds`. `got` is 0 at end of file. A message or fd list
/// cut short by the buffers is EMSGSIZE (its fds are closed). EINTR is
/// retried. `fds` grows, which may allocate: ENOMEM then.
int receive(int socket, std::span<std::byte> data, std::size_t& got,
            std::vector<unique_fd>& fds) noexcept;

}  // namespace multiproc::inline v0::detail::fd_passing
