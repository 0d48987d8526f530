#include "posix/child_setup.hpp"

#include <fcntl.h>
#include <stdio_ext.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>

#include "posix/sys.hpp"

namespace multiproc::detail {
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
}

}  // namespace multiproc::detail
