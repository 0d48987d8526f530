// The floor: what the kernel and libc cost with nothing on top. Each case
// does the least a correct program can do for the same result, so the
// ratio of a library's median to these is its overhead.
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <stdexcept>
#include <system_error>

#include "common.hpp"

extern char** environ;

#ifndef P_PIDFD
#define P_PIDFD 3  // Linux 5.4; glibc 2.36 headers may lack it.
#endif

namespace bench {
namespace {

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

pid_t fork_or_throw() {
  pid_t pid = ::fork();
  if (pid < 0) fail("fork");
  return pid;
}

void reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) fail("waitpid");
  }
}

int pidfd_open(pid_t pid) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0U));
  if (fd < 0) fail("pidfd_open");
  return fd;
}

void sleep_for(std::chrono::nanoseconds d) {
  timespec ts{static_cast<time_t>(d.count() / 1'000'000'000),
              static_cast<long>(d.count() % 1'000'000'000)};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// fork, the child _exits at once, the parent waitpid()s.
void start_join_fork(int iterations, results& out) {
  for (int i = 0; i < iterations; ++i) {
    auto t0 = steady::now();
    pid_t pid = fork_or_throw();
    if (pid == 0) ::_exit(0);
    reap(pid);
    out.add("latency_us", micros_since(t0));
  }
}

// posix_spawn of /bin/true and waitpid: the floor for launchers that
// execute a program (Boost.Process).
void start_join_spawn(int iterations, results& out) {
  char arg0[] = "/bin/true";
  char* argv[] = {arg0, nullptr};
  for (int i = 0; i < iterations; ++i) {
    auto t0 = steady::now();
    pid_t pid = 0;
    if (int err =
            ::posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ)) {
      throw std::system_error(err, std::generic_category(), "posix_spawn");
    }
    reap(pid);
    out.add("latency_us", micros_since(t0));
  }
}

// The child stamps the shared page and _exits; the parent is parked in
// waitpid.
void wake_waitpid(int iterations, results& out) {
  shared_stamp stamp;
  for (int i = 0; i < iterations; ++i) {
    pid_t pid = fork_or_throw();
    if (pid == 0) {
      sleep_for(kWakeChildDelay);
      stamp.write_now();
      ::_exit(0);
    }
    reap(pid);
    const std::uint64_t now = monotonic_ns();
    out.add("latency_us", static_cast<double>(now - stamp.read()) / 1e3);
  }
}

// A child that lives until the parent closes the pipe it reads.
struct live_child {
  pid_t pid = 0;
  int release_fd = -1;
  live_child() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe2");
    pid = fork_or_throw();
    if (pid == 0) {
      ::close(fds[1]);
      char byte;
      while (::read(fds[0], &byte, 1) < 0 && errno == EINTR) {
      }
      ::_exit(0);
    }
    ::close(fds[0]);
    release_fd = fds[1];
  }
  ~live_child() {
    ::close(release_fd);
    reap(pid);
  }
  live_child(const live_child&) = delete;
  live_child& operator=(const live_child&) = delete;
};

// poll(pidfd, 50 ms) on a live child: how late the timeout returns.
void overshoot_poll(int iterations, results& out) {
  live_child child;
  int fd = pidfd_open(child.pid);
  const auto timeout_ms = static_cast<int>(kOvershootTimeout.count());
  for (int i = 0; i < iterations; ++i) {
    pollfd p{fd, POLLIN, 0};
    auto t0 = steady::now();
    int n = ::poll(&p, 1, timeout_ms);
    double elapsed = micros_since(t0);
    if (n != 0) throw std::runtime_error("child ended early");
    out.add("overshoot_us", elapsed - static_cast<double>(timeout_ms) * 1e3);
  }
  ::close(fd);
}

// waitid(P_PIDFD, WNOHANG) on a live child: the one syscall is_alive needs.
void is_alive_waitid(int iterations, results& out) {
  live_child child;
  int fd = pidfd_open(child.pid);
  for (int i = 0; i < iterations; ++i) {
    int alive = 0;
    auto t0 = steady::now();
    for (int k = 0; k < kIsAliveBatch; ++k) {
      siginfo_t info{};
      ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &info,
               WEXITED | WNOHANG);
      alive += info.si_pid == 0 ? 1 : 0;
    }
    double us = micros_since(t0) / kIsAliveBatch;
    if (alive != kIsAliveBatch) throw std::runtime_error("child ended early");
    out.add("call_us", us);
  }
  ::close(fd);
}

// 2,000 children that each sleep 100 ms: fork them all, then reap them all.
void many_children_fork(int iterations, results& out) {
  for (int i = 0; i < iterations; ++i) {
    const std::size_t heap0 = heap_bytes(), rss0 = rss_bytes();
    std::vector<pid_t> pids;
    pids.reserve(kManyChildren);
    std::vector<double> start_us;
    start_us.reserve(kManyChildren);
    auto t0 = steady::now();
    for (std::size_t k = 0; k < kManyChildren; ++k) {
      auto s0 = steady::now();
      pid_t pid = fork_or_throw();
      if (pid == 0) {
        sleep_for(kManyChildrenSleep);
        ::_exit(0);
      }
      pids.push_back(pid);
      start_us.push_back(micros_since(s0));
    }
    // start_us is the harness's own bookkeeping, the same size for every
    // implementation; it is excluded from the per-child memory.
    const double heap_delta = static_cast<double>(heap_bytes()) -
                              static_cast<double>(heap0) -
                              static_cast<double>(kManyChildren * 8);
    const double rss_delta =
        static_cast<double>(rss_bytes()) - static_cast<double>(rss0);
    for (pid_t pid : pids) reap(pid);
    record_many_children(out, micros_since(t0) / 1e3, start_us, heap_delta,
                         rss_delta);
  }
}

}  // namespace

void add_floor_cases(std::vector<case_def>& cases) {
  cases.push_back({"startjoin/raw_fork_waitpid", start_join_fork});
  cases.push_back({"startjoin/raw_posix_spawn_true", start_join_spawn});
  cases.push_back({"wake/raw_waitpid", wake_waitpid});
  cases.push_back({"overshoot/raw_poll_pidfd", overshoot_poll});
  cases.push_back({"is_alive/raw_waitid_pidfd", is_alive_waitid});
  cases.push_back({"children2000/raw_fork_waitpid", many_children_fork});
}

}  // namespace bench
