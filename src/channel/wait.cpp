// multiproc::wait over connections, processes and descriptors: one ppoll.
//
// A pipe end has no descriptor of its own that becomes readable with its
// messages (they are in shared memory), so each pipe has one eventfd, and
// a sender writes it only when a wait() watches the end it sent to
// (ring_header::watchers): the usual send costs no system call. The count
// is kept per holder too, so a waiter killed inside wait() stops counting
// once its death is noticed (holders.cpp), and senders stop writing.
//
// Why no wake-up is lost: a waiter counts itself in watchers before it
// looks at the end, and a sender commits before it reads watchers
// (both seq_cst), so either the waiter sees the message or the sender sees
// the waiter and writes the eventfd, which stays readable until someone
// drains it. Several waiters share one eventfd, so a waiter that drains it
// may take a wake-up owed to another: after draining, it writes the
// eventfd again if an end of that pipe is ready and watched by anyone else
// (pipe_end::pass_on_wakeup). A peer's close() writes it too; a peer's
// death is seen by looking again every liveness period (50 ms, API.md's
// "promptly").
#include <poll.h>

#include <algorithm>
#include <system_error>
#include <vector>

#include "channel/ring_ops.hpp"
#include "multiproc/connection.hpp"
#include "posix/io.hpp"
#include "posix/pidfd.hpp"
#include "sync/futex_wait.hpp"

namespace multiproc::inline v0::detail::channel {

struct wait_access {
  static bool is_connection(const waitable& w) noexcept {
    return w.kind_ == waitable::kind::connection;
  }
  static const pipe_end& end(const waitable& w) noexcept { return *w.end_; }
  // The descriptor ppoll() watches for `w`: the pipe's eventfd, the
  // process's pidfd, or the fd itself. Checks as Python does.
  static int fd_of(const waitable& w) {
    switch (w.kind_) {
      case waitable::kind::connection:
        w.end_->check_readable();
        return w.end_->event_fd();
      case waitable::kind::process:
        return w.process_->sentinel();
      case waitable::kind::fd:
        return w.fd_;
    }
    return -1;
  }
};

namespace {

// The watches of one wait() call, undone however it returns.
class watches {
 public:
  explicit watches(std::span<const waitable> objects)
      : objects_(objects), tokens_(objects.size(), -1) {
    for (std::size_t i = 0; i < objects_.size(); ++i) {
      const waitable& w = objects_[i];
      if (wait_access::is_connection(w)) {
        tokens_[i] = wait_access::end(w).watch();
      }
    }
  }
  watches(const watches&) = delete;
  watches& operator=(const watches&) = delete;
  ~watches() {
    for (std::size_t i = 0; i < objects_.size(); ++i) {
      const waitable& w = objects_[i];
      if (wait_access::is_connection(w)) {
        wait_access::end(w).unwatch(tokens_[i]);
      }
    }
  }

  // This call's own watches of each end of `end`'s pipe.
  void mine(const pipe_end& end, int (&count)[2]) const noexcept {
    count[0] = count[1] = 0;
    for (const waitable& w : objects_) {
      if (!wait_access::is_connection(w)) continue;
      const pipe_end& other = wait_access::end(w);
      if (other.same_pipe(end)) ++count[other.index()];
    }
  }

 private:
  std::span<const waitable> objects_;
  std::vector<int> tokens_;
};

std::optional<steady_deadline> earlier(std::optional<steady_deadline> a,
                                       steady_deadline b) {
  return a && *a < b ? *a : b;
}

}  // namespace

std::vector<std::size_t> wait_steady(std::span<const waitable> objects,
                                     std::optional<steady_deadline> deadline) {
  std::vector<std::size_t> ready;
  if (objects.empty()) return ready;
  // Every check before anything is waited on (Python raises before it
  // polls).
  std::vector<pollfd> fds(objects.size());
  bool any_connection = false;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    fds[i] = {wait_access::fd_of(objects[i]), POLLIN, 0};
    any_connection = any_connection || wait_access::is_connection(objects[i]);
  }
  const watches watching(objects);
  std::vector<bool> is_ready(objects.size());
  for (;;) {
    bool any = false;
    for (std::size_t i = 0; i < objects.size(); ++i) {
      const waitable& w = objects[i];
      is_ready[i] =
          wait_access::is_connection(w) && wait_access::end(w).ready_now();
      any = any || is_ready[i];
    }
    // With a connection ready, the descriptors are looked at once, for the
    // full answer; otherwise sleep, at most one liveness period when a
    // connection's peer may die unseen.
    std::optional<steady_deadline> until = deadline;
    if (any) {
      until = std::chrono::steady_clock::now();
    } else if (any_connection) {
      until = earlier(
          deadline, std::chrono::steady_clock::now() + sync::kLivenessRecheck);
    }
    for (pollfd& p : fds) p.revents = 0;
    int count = 0;
    if (int err = pidfd::wait_readable(fds, until, count)) {
      throw std::system_error(err, std::generic_category(), "ppoll");
    }
    for (std::size_t i = 0; i < objects.size(); ++i) {
      if (fds[i].revents == 0) continue;
      const waitable& w = objects[i];
      if (!wait_access::is_connection(w)) {
        is_ready[i] = true;
        continue;
      }
      // Drained before looking again, and passed on to any other waiter
      // that may have been owed it.
      const pipe_end& end = wait_access::end(w);
      io::eventfd_drain(end.event_fd());
      int own[2];
      watching.mine(end, own);
      end.pass_on_wakeup(own);
    }
    for (std::size_t i = 0; i < objects.size(); ++i) {
      const waitable& w = objects[i];
      if (wait_access::is_connection(w) && !is_ready[i]) {
        is_ready[i] = wait_access::end(w).ready_now();
      }
      if (is_ready[i]) ready.push_back(i);
    }
    if (!ready.empty()) return ready;
    if (passed(deadline)) return ready;
  }
}

}  // namespace multiproc::inline v0::detail::channel

namespace multiproc::inline v0 {

std::vector<std::size_t> wait(std::initializer_list<waitable> objects) {
  return detail::channel::wait_steady(
      std::span<const waitable>(objects.begin(), objects.size()), std::nullopt);
}

std::vector<std::size_t> wait(std::span<const waitable> objects) {
  return detail::channel::wait_steady(objects, std::nullopt);
}

}  // namespace multiproc::inline v0
