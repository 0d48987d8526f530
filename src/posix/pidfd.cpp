#include "posix/pidfd.hpp"

#include <linux/types.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "posix/io.hpp"
#include "posix/sys.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3  // Linux 5.4; glibc 2.36 headers may lack it.
#endif

namespace multiproc::inline v0::detail::pidfd {
namespace {

// PIDFD_GET_INFO (Linux 6.13) with PIDFD_INFO_EXIT (Linux 6.15) returns the
// wait status of a process after it was reaped, even by someone else.
// Debian 12's kernel headers predate both, so the first version of the
// structure (PIDFD_INFO_SIZE_VER0, 64 bytes) is declared here; the kernel
// accepts any size it knows.
struct pidfd_info_v0 {
  __u64 mask;
  __u64 cgroupid;
  __u32 pid;
  __u32 tgid;
  __u32 ppid;
  __u32 ruid;
  __u32 rgid;
  __u32 euid;
  __u32 egid;
  __u32 suid;
  __u32 sgid;
  __u32 fsuid;
  __u32 fsgid;
  __s32 exit_code;
};
static_assert(sizeof(pidfd_info_v0) == 64);
constexpr unsigned long kPidfdGetInfo =
    _IOWR(0xFF, 11, pidfd_info_v0);  // PIDFS_IOCTL_MAGIC, 11
constexpr __u64 kPidfdInfoExit = 1ULL << 3;

// The kernel records the exit status when the reaper releases the task,
// a moment after the reaper has claimed it: our waitid() can see ECHILD in
// between. So an absent record is looked for again, briefly; a kernel that
// keeps no record (before 6.15) costs a foreign-reaped child this bound.
constexpr int kRecordTries = 100;
constexpr timespec kRecordPause{0, 200'000};  // 100 x 200 us = 20 ms at most

timespec to_timespec(std::chrono::nanoseconds left) noexcept {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  auto secs = duration_cast<seconds>(left);
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(secs.count());
  ts.tv_nsec = static_cast<long>((left - secs).count());
  return ts;
}

}  // namespace

std::optional<int> recorded_exit_code(int fd) noexcept {
  for (int attempt = 0; attempt < kRecordTries; ++attempt) {
    pidfd_info_v0 info{};
    info.mask = kPidfdInfoExit;
    // No PIDFD_GET_INFO at all (before 6.13): nothing will ever be recorded.
    if (sys::ioctl(fd, kPidfdGetInfo, &info) != 0) return std::nullopt;
    if ((info.mask & kPidfdInfoExit) != 0) {
      int status = info.exit_code;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      if (WIFSIGNALED(status)) return -WTERMSIG(status);
      return std::nullopt;
    }
    ::nanosleep(&kRecordPause, nullptr);
  }
  return std::nullopt;
}

int exitcode_from(int code, int status) noexcept {
  if (code == CLD_EXITED) return status;
  return -status;  // CLD_KILLED, CLD_DUMPED
}

int open_any(pid_t pid, unique_fd& out) noexcept {
  int fd = sys::pidfd_open(pid, 0);
  if (fd < 0) return errno;
  out.reset(fd);
  return 0;
}

int open_child(pid_t pid, unique_fd& out) noexcept {
  unique_fd fd;
  if (int err = open_any(pid, fd)) return err;
  siginfo_t info{};
  if (sys::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd.get()),
                  &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno;
  }
  out = std::move(fd);
  return 0;
}

int try_reap(int fd, child_state& state, std::optional<int>& exitcode,
             struct rusage* usage) noexcept {
  siginfo_t info{};
  // The raw call when usage is wanted: it costs the same one system call
  // and fills the rusage at the reap, the only moment the kernel has it
  // for this child alone.
  int rc = io::retry_on_eintr([&] {
    return usage != nullptr
               ? sys::waitid(static_cast<idtype_t>(P_PIDFD),
                             static_cast<id_t>(fd), &info, WEXITED | WNOHANG,
                             usage)
               : sys::waitid(static_cast<idtype_t>(P_PIDFD),
                             static_cast<id_t>(fd), &info, WEXITED | WNOHANG);
  });
  if (rc == 0) {
    if (info.si_pid == 0) {
      state = child_state::running;
      return 0;
    }
    state = child_state::reaped;
    exitcode = exitcode_from(info.si_code, info.si_status);
    return 0;
  }
  if (errno != ECHILD) return errno;
  // ECHILD through a pidfd of our own child means it is no longer waitable:
  // someone else reaped it. It can only have been reaped after it ended, so
  // the pidfd is readable; anything else would be a kernel we don't know.
  state = child_state::reaped_elsewhere;
  exitcode = recorded_exit_code(fd);
  return 0;
}

int send_signal(int fd, int signo) noexcept {
  if (sys::pidfd_send_signal(fd, signo) == 0) return 0;
  return errno == ESRCH ? 0 : errno;
}

int wait_readable(std::span<pollfd> fds, std::optional<deadline> until,
                  int& ready) noexcept {
  for (;;) {
    timespec ts{};
    const timespec* timeout = nullptr;
    if (until) {
      auto now = std::chrono::steady_clock::now();
      // Compare before subtracting: a far-past deadline must not overflow.
      if (*until > now) {
        ts = to_timespec(
            std::chrono::duration_cast<std::chrono::nanoseconds>(*until - now));
      }
      timeout = &ts;
    }
    int n = sys::ppoll(fds.data(), static_cast<nfds_t>(fds.size()), timeout);
    if (n >= 0) {
      ready = n;
      return 0;
    }
    if (errno != EINTR) return errno;
    // A signal handler ran: go round with the time that is left, so the
    // wait ends neither early nor late.
  }
}

bool has_ended(int fd) noexcept {
  pollfd p{fd, POLLIN, 0};
  const timespec now{};
  return io::retry_on_eintr([&] { return sys::ppoll(&p, 1, &now); }) > 0;
}

}  // namespace multiproc::inline v0::detail::pidfd
