#include "process_state.hpp"

#include <system_error>

#include "multiproc/errors.hpp"
#include "posix/this_pid.hpp"
#include "registry.hpp"

namespace multiproc::inline v0::detail {

bool process_state::reapable_here() const {
  return kind == process_kind::child && creator_pid == this_pid();
}

void process_state::throw_if_closed_locked() const {
  if (closed) throw usage_error("process object is closed");
}

bool process_state::refresh_locked() {
  if (ended) return true;
  if (!child) return false;
  child_status status;
  if (int err = child->poll(status)) {
    throw std::system_error(err, std::generic_category(), "waitid");
  }
  if (!status.ended) return false;
  // Another process's child (a copy inherited through fork, or our
  // parent): it has ended, but there is no code of ours to keep.
  if (!status.exitcode) return true;
  ended = true;
  exitcode = status.exitcode;
  used = status.used;
  registry::get().forget_child(this);
  return true;
}

int process_state::send_signal_locked(int signo) noexcept {
  if (ended || !child) return 0;
  return child->send_signal(signo);
}

void process_state::release_child_locked() {
  if (waiters == 0 && child) child->close();
}

bool process_state::wait_until(std::optional<steady_deadline> deadline) {
  for (;;) {
    child_handle* watched = nullptr;
    {
      std::lock_guard lock(mutex);
      if (refresh_locked()) return true;
      // A view that has nothing to watch.
      if (!child || child->sentinel() < 0) return false;
      watched = child.get();  // lives as long as this state
      ++waiters;
    }
    bool readable = false;
    int err = watched->wait(deadline, readable);
    std::lock_guard lock(mutex);
    if (--waiters == 0 && closed) child->close();
    if (err != 0) {
      throw std::system_error(err, std::generic_category(), "ppoll");
    }
    if (!readable) return refresh_locked();
    // Readable: the next refresh reaps it (or another thread already did),
    // or, for a process we only watch, says it has ended.
  }
}

}  // namespace multiproc::inline v0::detail
