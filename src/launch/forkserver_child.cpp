#include "launch/forkserver_child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "launch/forkserver_protocol.hpp"
#include "posix/io.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail {
namespace {

using forkserver::request_fd;

[[noreturn]] void die(const char* what) noexcept {
  std::fputs("multiproc: ", stderr);
  std::fputs(what, stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  ::_exit(1);
}

std::vector<std::byte> read_memfd(int fd) {
  std::vector<std::byte> bytes;
  if (io::read_whole_file(fd, bytes) != 0) die("cannot read the start request");
  return bytes;
}

// exec semantics: what the caller ignores stays ignored, every other
// disposition (the server's SIGINT, any handler main installed before the
// guard) starts at its default; then the caller's mask. Only dispositions
// that differ from the server's are touched.
void apply_signals(const forkserver::caller_context& context,
                   const server_child_start& start) {
  for (int signo = 1; signo <= 64; ++signo) {
    if (signo == SIGKILL || signo == SIGSTOP) continue;
    const auto bit = std::uint64_t{1} << (signo - 1);
    const bool want_ignored = (context.ignored & bit) != 0;
    const bool is_ignored = (start.server_ignored & bit) != 0;
    const bool is_handled = (start.server_handled & bit) != 0;
    if (want_ignored == is_ignored && !is_handled) continue;
    struct sigaction action {};
    action.sa_handler = want_ignored ? SIG_IGN : SIG_DFL;
    ::sigaction(signo, &action, nullptr);  // glibc's own signals refuse
  }
  sigset_t mask;
  sigemptyset(&mask);
  for (int signo = 1; signo <= 64; ++signo) {
    if (((context.blocked >> (signo - 1)) & 1U) != 0) sigaddset(&mask, signo);
  }
  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
}

// True when environ already is `wanted`, entry for entry: the usual case,
// since the server was exec'd with its process's environment.
bool environment_is(const std::vector<std::string>& wanted) {
  std::size_t i = 0;
  for (char** entry = environ; *entry != nullptr; ++entry, ++i) {
    if (i == wanted.size() || wanted[i] != *entry) return false;
  }
  return i == wanted.size();
}

void apply_environment(const forkserver::caller_context& context) {
  // Rebuilding it copies every string into heap pages this fresh child
  // must first copy from the server, for nothing when nothing changed
  // (measured: 53 page faults per child down to 48, start+join 0.96x).
  if (environment_is(context.environment)) return;
  // putenv keeps the pointers: the strings live as long as the process.
  static std::vector<std::string> storage;
  storage = context.environment;
  ::clearenv();
  for (std::string& entry : storage) ::putenv(entry.data());
}

// Puts `sources[i]` at `targets[i]` (later ones win), the caller's pidfd
// just above them, and closes every other fd above 2, the server's socket
// and other children's fds included. Returns the pidfd's number.
int place_fds(const std::vector<int>& sources, const std::vector<int>& targets,
              int caller_pidfd) {
  int highest = 2;
  for (int t : targets) highest = std::max(highest, t);
  const int pidfd_at = highest + 1;
  const int floor = pidfd_at + 1;
  // Copies above every target first, so placing one never overwrites a
  // source not yet placed.
  std::vector<int> copies;
  for (int fd : sources) {
    const int copy = sys::fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (copy < 0) die("cannot place the passed fds in the child");
    copies.push_back(copy);
  }
  const int pidfd_copy = sys::fcntl(caller_pidfd, F_DUPFD_CLOEXEC, floor);
  if (pidfd_copy < 0) die("cannot place the passed fds in the child");
  for (std::size_t i = 0; i < copies.size(); ++i) {
    if (sys::dup2(copies[i], targets[i]) < 0) {
      die("cannot place the passed fds in the child");
    }
  }
  if (sys::dup2(pidfd_copy, pidfd_at) < 0) {
    die("cannot place the passed fds in the child");
  }
  // Library-internal: not for programs this child may exec.
  sys::fcntl(pidfd_at, F_SETFD, FD_CLOEXEC);
  for (int fd = 3; fd < pidfd_at; ++fd) {
    if (std::find(targets.begin(), targets.end(), fd) == targets.end()) {
      ::close(fd);
    }
  }
  ::close_range(static_cast<unsigned>(floor), ~0U, 0);
  return pidfd_at;
}

[[noreturn]] void become(const server_child_start& start,
                         serve_function serve) {
  std::vector<unique_fd>& fds = start.fds;
  const bool in_memfd = start.inline_payload.empty();
  forkserver::caller_context context;
  decoded_bootstrap boot;
  decoded_request decoded;
  try {
    context = forkserver::decode_payload(
        in_memfd ? std::span<const std::byte>(
                       read_memfd(fds[forkserver::fixed_fds].get()))
                 : start.inline_payload);
    boot = decode_bootstrap(context.bootstrap);
    decoded = decode_portable_request(boot.request);
  } catch (...) {
    die("the start request is corrupt");
  }
  const std::size_t first_passed = forkserver::fixed_fds + (in_memfd ? 1 : 0);
  if (fds.size() - first_passed != decoded.child_fds.size()) {
    die("the start request is corrupt");
  }
  apply_signals(context, start);
  ::umask(static_cast<mode_t>(context.umask));
  if (::fchdir(fds[request_fd::cwd_fd].get()) != 0) {
    die("cannot enter the caller's working directory");
  }
  apply_environment(context);
  std::vector<int> sources{fds[request_fd::stdout_fd].get(),
                           fds[request_fd::stderr_fd].get()};
  std::vector<int> targets{1, 2};
  for (std::size_t i = 0; i < decoded.child_fds.size(); ++i) {
    sources.push_back(fds[first_passed + i].get());
    targets.push_back(decoded.child_fds[i]);
  }
  // The numbers are about to be reused or closed by place_fds.
  for (unique_fd& fd : fds) (void)fd.release();
  const int parent_pidfd = place_fds(sources, targets, start.caller_pidfd);
  const exec_origin origin{"forkserver", start.server_pid, parent_pidfd};
  serve(boot, decoded, origin);
  ::_exit(1);  // serve never returns
}

}  // namespace

void measure_dispositions(std::uint64_t& ignored,
                          std::uint64_t& handled) noexcept {
  ignored = 0;
  handled = 0;
  for (int signo = 1; signo <= 64; ++signo) {
    struct sigaction action {};
    if (::sigaction(signo, nullptr, &action) != 0) continue;
    const auto bit = std::uint64_t{1} << (signo - 1);
    if (action.sa_handler == SIG_IGN) {
      ignored |= bit;
    } else if (action.sa_handler != SIG_DFL) {
      handled |= bit;
    }
  }
}

void become_server_child(const server_child_start& start,
                         serve_function serve) noexcept {
  try {
    become(start, serve);
  } catch (...) {
    die("the child could not take on its caller's context");
  }
}

}  // namespace multiproc::inline v0::detail
