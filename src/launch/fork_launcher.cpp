// The fork start method: fork(), then pidfd_open() on the child, held by a
// kernel_child handle (this process reaps it with waitid).
//
// Why not clone3(CLONE_PIDFD), which returns the pidfd atomically? Raw clone
// skips glibc's fork bookkeeping: the cached thread id in the thread
// descriptor, the reset of malloc's arena locks, pthread_atfork handlers.
// Arbitrary C++ in the child then deadlocks or misbehaves. fork() keeps glibc
// whole; the window it leaves (the pid could be reaped by a foreign
// waitpid(-1) and reused before pidfd_open) is closed by proving the pidfd
// with waitid(P_PIDFD, WNOWAIT) in pidfd::open_child.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <memory>
#include <new>
#include <span>

#include "launch/anchor_thread.hpp"
#include "launch/child_setup.hpp"
#include "launch/kernel_child.hpp"
#include "launch/launcher.hpp"
#include "posix/io.hpp"
#include "posix/pidfd.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail {
namespace {

int fork_child(const launch_request& request, const sigset_t* child_mask,
               std::unique_ptr<child_handle>& out) noexcept {
  const pid_t parent = ::getpid();
  // Made before the fork, so that a refusal leaves no child to clean up.
  std::unique_ptr<kernel_child> handle(new (std::nothrow) kernel_child(parent));
  if (!handle) return ENOMEM;
  const pid_t pid = sys::fork();
  if (pid < 0) return errno;
  if (pid == 0) {
    prepare_child({parent, request.kill_on_parent_death, child_mask,
                   request.fds, request.limits});
    request.child_main(request.context);
    ::_exit(1);  // child_main never returns; this is belt and braces.
  }
  return hold_new_child(pid, std::move(handle), out);
}

class fork_launcher final : public launcher {
 public:
  int launch(const launch_request& request,
             std::unique_ptr<child_handle>& out) noexcept override {
    if (int err = check_fds(request.fds)) return err;
    const bool on_main_thread = ::gettid() == ::getpid();
    if (request.kill_on_parent_death && !on_main_thread &&
        !request.options.caller_outlives_child) {
      return launch_on_anchor(&fork_child, request, out);
    }
    return fork_child(request, request.options.signal_mask, out);
  }

 private:
  // Refused here rather than in the child, where the only way to fail is
  // to end it.
  static int check_fds(std::span<const passed_fd> fds) noexcept {
    if (fds.size() > kMaxPassedFds) return EINVAL;
    for (const passed_fd& p : fds) {
      if (p.fd < 0 || p.child_fd < 0) return EBADF;
    }
    return 0;
  }
};

}  // namespace

launcher& default_launcher() {
  static fork_launcher instance;
  return instance;
}

}  // namespace multiproc::inline v0::detail
