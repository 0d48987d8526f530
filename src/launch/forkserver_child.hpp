// A child the forkserver just forked: it takes on the context of the
// caller's start() (working directory, environment, umask, signal mask and
// dispositions, fds 1 and 2, the passed fds, nothing else) and then runs
// the serve path a spawn child runs.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "launch/exec_bootstrap.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail {

struct server_child_start {
  /// The payload as it came in the message; empty when it is in a memfd.
  std::span<const std::byte> inline_payload;
  /// The request's fds, in forkserver::request_fd order.
  std::vector<unique_fd>& fds;
  int caller_pidfd;  // the server's, handed down for parent_process()
  pid_t server_pid;
  /// The server's own dispositions (bit n-1 for signal n), which the child
  /// starts with: only those that differ from the caller's are changed.
  std::uint64_t server_ignored;
  std::uint64_t server_handled;
};

/// The server's dispositions now, for server_child_start.
void measure_dispositions(std::uint64_t& ignored,
                          std::uint64_t& handled) noexcept;

/// In the fresh child: puts the caller's context in place, then calls
/// `serve`. A request it cannot apply ends the child with exit code 1 and
/// a line on stderr, before any user code runs. Never returns.
[[noreturn]] void become_server_child(const server_child_start& start,
                                      serve_function serve) noexcept;

}  // namespace multiproc::inline v0::detail
