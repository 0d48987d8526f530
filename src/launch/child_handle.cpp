#include "launch/child_handle.hpp"

#include <poll.h>

#include <cerrno>
#include <span>

#include "posix/pidfd.hpp"

namespace multiproc::inline v0::detail {

int child_handle::wait(std::optional<deadline> until, bool& ended) noexcept {
  pollfd watched{sentinel(), POLLIN, 0};
  // ppoll skips a negative fd: it would wait out the deadline, or forever.
  if (watched.fd < 0) return EBADF;
  int ready = 0;
  int err = pidfd::wait_readable(std::span(&watched, 1), until, ready);
  ended = err == 0 && ready > 0;
  return err;
}

}  // namespace multiproc::inline v0::detail
