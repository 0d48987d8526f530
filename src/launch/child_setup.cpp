#include "launch/child_setup.hpp"

#include <fcntl.h>
#include <stdio_ext.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>

#include "limits/rlimit_plan.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail {
namespace {

void redirect_stdin_to_dev_null() noexcept {
  int fd = sys::open("/dev/null", O_RDONLY);
  if (fd < 0) return;  // Keep the inherited stdin rather than fail the child.
  if (fd != STDIN_FILENO) {
    sys::dup2(fd, STDIN_FILENO);
    ::close(fd);
  }
  // Input the parent had read ahead into stdin's buffer belongs to the
  // parent; the child must see end of file, not a copy of it. Touch the
  // FILE only when there is something to discard: writing to it costs a
  // copy-on-write fault of libc's data page in every child (glibc's FILE
  // fields are public in <bits/types/struct_FILE.h>).
  if (stdin->_IO_read_ptr != stdin->_IO_read_end) __fpurge(stdin);
  if (feof_unlocked(stdin) != 0 || ferror_unlocked(stdin) != 0) {
    clearerr_unlocked(stdin);
  }
}

// The parent flushes stdout and stderr before it forks, but another of its
// threads may write between that flush and the fork: what the child then
// holds is the parent's, and the parent writes it. Left here, the child's
// exit-time flush would write it a second time (a partial line of the
// caller's, printed again when a pool worker ends). As for stdin, the FILE
// is touched only when it holds something.
void drop_parents_unwritten_output() noexcept {
  if (__fpending(stdout) != 0) __fpurge(stdout);
  if (__fpending(stderr) != 0) __fpurge(stderr);
}

[[noreturn]] void fail_child(const char* what) noexcept {
  static constexpr char kPrefix[] = "multiproc: child setup failed: ";
  (void)sys::write(STDERR_FILENO, kPrefix, sizeof kPrefix - 1);
  (void)sys::write(STDERR_FILENO, what, __builtin_strlen(what));
  ::_exit(1);
}

// dup2 one by one would go wrong when a source is another's target (the
// swap of two fds, say): first every source is copied above all targets,
// then each copy is moved to its number. dup2 onto a different fd leaves
// the new one without FD_CLOEXEC, even when the source had it.
void place_fds(std::span<const passed_fd> fds) noexcept {
  if (fds.empty()) return;
  int above = 0;
  for (const passed_fd& p : fds) {
    if (p.child_fd >= above) above = p.child_fd + 1;
  }
  // On the stack: a fork child must not allocate. The launcher refuses
  // longer lists before it forks.
  const std::size_t count = fds.size();
  if (count > kMaxPassedFds) fail_child("too many fds to pass\n");
  int copies[kMaxPassedFds] = {};
  for (std::size_t i = 0; i < count; ++i) {
    copies[i] = sys::fcntl(fds[i].fd, F_DUPFD, above);
    if (copies[i] < 0) fail_child("cannot copy a passed fd\n");
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (sys::dup2(copies[i], fds[i].child_fd) < 0) {
      fail_child("cannot place a passed fd\n");
    }
  }
  for (std::size_t i = 0; i < count; ++i) ::close(copies[i]);
}

}  // namespace

void prepare_child(const child_setup& setup) noexcept {
  if (setup.kill_on_parent_death) {
    sys::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // The parent may have died between fork() and prctl(): then nobody will
    // send the signal, and we must act as if it had arrived.
    if (::getppid() != setup.parent_pid) ::raise(SIGKILL);
  }
  if (setup.signal_mask != nullptr) {
    ::pthread_sigmask(SIG_SETMASK, setup.signal_mask, nullptr);
  }
  redirect_stdin_to_dev_null();
  drop_parents_unwritten_output();
  place_fds(setup.fds);
  if (setup.limits != nullptr && !apply_child_limits(*setup.limits)) {
    fail_child("cannot set the resource limits\n");
  }
}

}  // namespace multiproc::inline v0::detail
