// The spawn start method: posix_spawn of /proc/self/exe, the request in a
// memfd the child inherits, every other fd closed.
//
// Why posix_spawn: glibc implements it with clone(CLONE_VM | CLONE_VFORK),
// so its cost does not grow with the caller's memory and nothing of the
// caller's state (locks held by other threads) is copied: safe from any
// thread. The child is this process's kernel child, held and reaped exactly
// as a forked one (kernel_child).
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include "launch/anchor_thread.hpp"
#include "launch/exec_bootstrap.hpp"
#include "launch/launcher.hpp"
#include "launch/spawn_self.hpp"
#include "posix/io.hpp"
#include "posix/library_thread.hpp"
#include "posix/mapping.hpp"
#include "posix/pidfd.hpp"
#include "posix/sys.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail {
namespace {

int write_bootstrap(const std::vector<std::byte>& bytes, unique_fd& out) {
  if (int err = mapping::create_memfd("multiproc-exec-request", out)) {
    return err;
  }
  if (int err = io::pwrite_all(out.get(), bytes, 0)) return err;
  return 0;
}

// A CLOEXEC copy of `fd` numbered at least `floor`, so that placing the
// copies at their child numbers never overwrites one not yet placed.
int copy_above(int fd, int floor, unique_fd& out) {
  int copy = sys::fcntl(fd, F_DUPFD_CLOEXEC, floor);
  if (copy < 0) return errno;
  out.reset(copy);
  return 0;
}

int spawn(const launch_request& request, const sigset_t* mask,
          std::unique_ptr<child_handle>& out) {
  if (request.portable == nullptr) return EINVAL;
  if (request.fds.size() > kMaxPassedFds) return EINVAL;
  int highest = 2;
  for (const passed_fd& p : request.fds) {
    if (p.fd < 0 || p.child_fd < 0) return EBADF;
    highest = std::max(highest, p.child_fd);
  }
  const int boot_fd = highest + 1;
  const std::vector<std::byte> bytes = encode_bootstrap(
      encode_portable_request(*request.portable, request.fds), request.limits);
  unique_fd boot;
  if (int err = write_bootstrap(bytes, boot)) return err;

  std::vector<unique_fd> copies(request.fds.size());
  unique_fd boot_copy;
  for (std::size_t i = 0; i < request.fds.size(); ++i) {
    if (int err = copy_above(request.fds[i].fd, boot_fd + 1, copies[i])) {
      return err;
    }
  }
  if (int err = copy_above(boot.get(), boot_fd + 1, boot_copy)) return err;

  spawn_file_actions actions;
  if (int err = ::posix_spawn_file_actions_init(&actions.value)) return err;
  actions.made = true;
  // stdin is /dev/null as in Part 1; a passed fd 0 is placed after it.
  int err = ::posix_spawn_file_actions_addopen(&actions.value, 0, "/dev/null",
                                               O_RDONLY, 0);
  for (std::size_t i = 0; err == 0 && i < copies.size(); ++i) {
    err = ::posix_spawn_file_actions_adddup2(&actions.value, copies[i].get(),
                                             request.fds[i].child_fd);
  }
  if (err == 0) {
    err = ::posix_spawn_file_actions_adddup2(&actions.value, boot_copy.get(),
                                             boot_fd);
  }
  // Only the passed fds: an fd the user left without FD_CLOEXEC stays
  // behind too (Python: "only the passed fds").
  if (err == 0) {
    err =
        ::posix_spawn_file_actions_addclosefrom_np(&actions.value, boot_fd + 1);
  }
  if (err != 0) return err;

  spawn_attributes attributes;
  if (int e = ::posix_spawnattr_init(&attributes.value)) return e;
  attributes.made = true;
  err = ::posix_spawnattr_setsigmask(&attributes.value, mask);
  short flags = POSIX_SPAWN_SETSIGMASK;
  if (err == 0 && request.options.lead_process_group) {
    err = ::posix_spawnattr_setpgroup(&attributes.value, 0);
    flags |= POSIX_SPAWN_SETPGROUP;
  }
  if (err == 0) err = ::posix_spawnattr_setflags(&attributes.value, flags);
  if (err != 0) return err;

  // The marker tells the copy it is a child, and where its request is.
  return spawn_self(actions, attributes, std::to_string(boot_fd), out);
}

// On the anchor thread or the caller's: never throws.
int spawn_noexcept(const launch_request& request, const sigset_t* mask,
                   std::unique_ptr<child_handle>& out) noexcept {
  try {
    const sigset_t caller_mask = signal_mask_of_this_thread();
    return spawn(request, mask != nullptr ? mask : &caller_mask, out);
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  } catch (...) {
    return EINVAL;  // the request could not be encoded
  }
}

class spawn_launcher_impl final : public launcher {
 public:
  int launch(const launch_request& request,
             std::unique_ptr<child_handle>& out) noexcept override {
    // The child arms PR_SET_PDEATHSIG itself, and it follows the thread
    // that made it: as for fork, a thread that may end first hands the
    // spawn to the anchor, with its own mask.
    const bool on_main_thread = ::gettid() == ::getpid();
    if (request.kill_on_parent_death && !on_main_thread &&
        !request.options.caller_outlives_child) {
      const sigset_t caller_mask = signal_mask_of_this_thread();
      launch_request anchored = request;
      if (anchored.options.signal_mask == nullptr) {
        anchored.options.signal_mask = &caller_mask;
      }
      return launch_on_anchor(
          [](const launch_request& r, const sigset_t*,
             std::unique_ptr<child_handle>& o) noexcept {
            return spawn_noexcept(r, r.options.signal_mask, o);
          },
          anchored, out);
    }
    return spawn_noexcept(request, request.options.signal_mask, out);
  }
};

}  // namespace

launcher& spawn_launcher() {
  static spawn_launcher_impl instance;
  return instance;
}

}  // namespace multiproc::inline v0::detail
