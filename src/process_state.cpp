#include "process_state.hpp"

#include <poll.h>
#include <unistd.h>

#include <span>
#include <system_error>

#include "multiproc/errors.hpp"
#include "posix/this_pid.hpp"
#include "registry.hpp"

namespace multiproc::detail {

bool process_state::reapable_here() const {
  return kind == process_kind::child && creator_pid == this_pid();
}

void process_state::throw_if_closed_locked() const {
  if (closed) throw usage_error("process object is closed");
}

bool process_state::refresh_locked() {
  if (ended) return true;
  if (!pidfd) return false;
  if (!reapable_here()) {
    // Another process's child (a copy inherited through fork, or our
    // parent): it can be watched, never reaped, and its code is not ours.
    return pidfd::has_ended(pidfd.get());
  }
  pidfd::child_state state{};
  std::optional<int> code;
  if (int err = pidfd::try_reap(pidfd.get(), state, code)) {
    throw std::system_error(err, std::generic_category(), "waitid");
  }
  if (state == pidfd::child_state::running) return false;
  ended = true;
  exitcode = code ? *code : kExitcodeUnknown;
  registry::get().forget_child(this);
  return true;
}

void process_state::release_pidfd_locked() {
  if (waiters == 0) pidfd.reset();
}

bool process_state::wait_until(std::optional<pidfd::deadline> deadline) {
  for (;;) {
    pollfd watched{};
    {
      std::lock_guard lock(mutex);
      if (refresh_locked()) return true;
      if (!pidfd) return false;  // watching a view that has nothing to watch
      watched = {pidfd.get(), POLLIN, 0};
      ++waiters;
    }
    int ready = 0;
    int err = pidfd::wait_readable(std::span(&watched, 1), deadline, ready);
    std::lock_guard lock(mutex);
    if (--waiters == 0 && closed) pidfd.reset();
    if (err != 0)
      throw std::system_error(err, std::generic_category(), "ppoll");
    if (ready == 0) return refresh_locked();
    // Readable: the next refresh reaps it (or another thread already did).
    if (!reapable_here()) return true;
  }
}

}  // namespace multiproc::detail
