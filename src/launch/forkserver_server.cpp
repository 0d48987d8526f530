// The forkserver's loop: one thread, one ppoll over the request socket and
// the pidfds of its children.
//
// Why plain fork() here: the server is single-threaded (it refuses to
// serve otherwise), so glibc's fork leaves malloc, atfork handlers and the
// robust-mutex list whole, and its cost is that of a small process, not of
// the caller. Each child is proven (waitid WNOWAIT through its pidfd, as
// the fork launcher does) before its pidfd goes to the caller.
#include "launch/forkserver_server.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "launch/forkserver_child.hpp"
#include "launch/forkserver_protocol.hpp"
#include "posix/fd_passing.hpp"
#include "posix/io.hpp"
#include "posix/pidfd.hpp"
#include "posix/sys.hpp"
#include "posix/thread_count.hpp"
#include "posix/unique_fd.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

namespace multiproc::inline v0::detail {
namespace {

using forkserver::exit_report;
using forkserver::request_header;

struct served_child {
  pid_t pid;
  unique_fd pidfd;
  unique_fd report;  // the server's end; the caller reads the other
};

[[noreturn]] void leave(int code) noexcept {
  std::fflush(nullptr);
  ::_exit(code);
}

void send_hello(int socket, bool refused, std::string_view reason) noexcept {
  forkserver::hello header;
  header.refused = refused ? 1 : 0;
  char message[sizeof header + 512];
  std::memcpy(message, &header, sizeof header);
  const std::size_t text =
      std::min(reason.size(), sizeof message - sizeof header);
  if (text != 0) std::memcpy(message + sizeof header, reason.data(), text);
  (void)fd_passing::send(
      socket, std::as_bytes(std::span(message, sizeof header + text)), {});
}

class server {
 public:
  server(int socket, unique_fd caller_pidfd, serve_function serve) noexcept
      : socket_(socket), caller_pidfd_(std::move(caller_pidfd)), serve_(serve) {
    // Once: the dispositions do not change while the server runs.
    measure_dispositions(ignored_, handled_);
  }

  [[noreturn]] void run() noexcept {
    std::vector<pollfd> watched;
    for (;;) {
      watched.clear();
      watched.push_back({socket_, POLLIN, 0});
      for (const served_child& c : children_) {
        watched.push_back({c.pidfd.get(), POLLIN, 0});
      }
      int ready = 0;
      if (pidfd::wait_readable(watched, std::nullopt, ready) != 0) leave(1);
      // Children first: a report never waits behind a burst of requests.
      for (std::size_t i = watched.size(); i-- > 1;) {
        if (watched[i].revents != 0) reap(i - 1);
      }
      if (watched[0].revents != 0) serve_one_request();
    }
  }

 private:
  void reap(std::size_t index) noexcept {
    served_child& c = children_[index];
    siginfo_t info{};
    exit_report report;
    const int rc = io::retry_on_eintr([&] {
      return sys::waitid(static_cast<idtype_t>(P_PIDFD),
                         static_cast<id_t>(c.pidfd.get()), &info,
                         WEXITED | WNOHANG, &report.used);
    });
    if (rc == 0 && info.si_pid == 0) return;  // not yet
    if (rc == 0) {
      report.exitcode = pidfd::exitcode_from(info.si_code, info.si_status);
      // A fresh socket with nothing else in it: the report fits at once.
      (void)fd_passing::send(c.report.get(),
                             std::as_bytes(std::span(&report, 1)), {});
    }
    // Closed either way: the caller sees end of file without a report.
    children_.erase(children_.begin() + static_cast<std::ptrdiff_t>(index));
  }

  void serve_one_request() noexcept {
    static std::byte
        buffer[sizeof(request_header) + forkserver::kInlinePayload];
    std::vector<unique_fd> fds;
    std::size_t got = 0;
    const int err = fd_passing::receive(socket_, buffer, got, fds);
    if (err == 0 && got == 0) leave(0);  // our process closed its end
    if (err == EINTR || err == ENOMEM || err == EMSGSIZE) {
      send_reply(err == ENOMEM ? ENOMEM : EPROTO, 0, {}, {});
      return;
    }
    if (err != 0) leave(1);
    request_header header;
    if (got < sizeof header) {
      send_reply(EPROTO, 0, {}, {});
      return;
    }
    std::memcpy(&header, buffer, sizeof header);
    const std::size_t need = forkserver::fixed_fds + header.in_memfd;
    const bool sized = header.in_memfd != 0
                           ? got == sizeof header
                           : got == sizeof header + header.size;
    if (header.magic != forkserver::kMagic || !sized || fds.size() < need) {
      send_reply(EPROTO, 0, {}, {});
      return;
    }
    unique_fd report_here, report_there;
    int pair[2];
    if (sys::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
      send_reply(errno, 0, {}, {});
      return;
    }
    report_here.reset(pair[0]);
    report_there.reset(pair[1]);
    const pid_t self = ::getpid();
    const pid_t pid = sys::fork();
    if (pid < 0) {
      send_reply(errno, 0, {}, {});
      return;
    }
    if (pid == 0) {
      if (header.lead_process_group != 0) ::setpgid(0, 0);
      const std::span<const std::byte> inline_payload =
          header.in_memfd != 0
              ? std::span<const std::byte>()
              : std::span<const std::byte>(buffer + sizeof header, header.size);
      become_server_child(
          {inline_payload, fds, caller_pidfd_.get(), self, ignored_, handled_},
          serve_);
    }
    // Both sides, so the group exists whichever runs first.
    if (header.lead_process_group != 0) ::setpgid(pid, pid);
    unique_fd pidfd;
    if (int e = pidfd::open_child(pid, pidfd)) {
      // Our unreaped child: its pid cannot have been reused.
      sys::kill(pid, SIGKILL);
      io::reap_by_pid(pid);
      send_reply(e, 0, {}, {});
      return;
    }
    send_reply(0, pid, pidfd.get(), report_there.get());
    try {
      children_.push_back({pid, std::move(pidfd), std::move(report_here)});
    } catch (...) {
      // Cannot track it: the caller still has its pidfd; its report end
      // will read end of file, as after a server death.
    }
  }

  void send_reply(int error, pid_t pid, int pidfd, int report) noexcept {
    forkserver::reply r;
    r.error = error;
    r.pid = pid;
    const int fds[2] = {pidfd, report};
    (void)fd_passing::send(
        socket_, std::as_bytes(std::span(&r, 1)),
        error == 0 ? std::span<const int>(fds) : std::span<const int>());
  }

  const int socket_;
  const unique_fd caller_pidfd_;  // handed down for parent_process()
  const serve_function serve_;
  std::vector<served_child> children_;
  std::uint64_t ignored_ = 0;
  std::uint64_t handled_ = 0;
};

}  // namespace

void refuse_to_serve(int socket, std::string_view reason) noexcept {
  send_hello(socket, true, reason);
}

void run_forkserver(int socket, pid_t caller, serve_function serve) noexcept {
  // Ctrl-C reaches the program and its children, not the server (as
  // CPython's). SIGCHLD at its default: a caller that ignores it would
  // otherwise have the kernel reap our children before we can report them.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGCHLD, SIG_DFL);
  // Die with the process: it spawned us from its anchor thread, so the
  // signal follows the process. Checked after arming: a caller already gone
  // would never send it.
  if (sys::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) leave(1);
  if (::getppid() != caller) leave(1);
  // The caller's pidfd, proven by its still being our parent once open.
  unique_fd caller_pidfd;
  if (pidfd::open_any(caller, caller_pidfd) != 0 || ::getppid() != caller) {
    leave(1);
  }
  const int threads = thread_count();
  if (threads != 1) {
    const std::string reason =
        "the forkserver cannot start: the program has " +
        std::to_string(threads) +
        " threads at its first multiproc call; make "
        "multiproc::set_start_method() the first statement of main, or use "
        "'spawn'";
    refuse_to_serve(socket, reason);
    leave(1);
  }
  send_hello(socket, false, {});
  server(socket, std::move(caller_pidfd), serve).run();
}

}  // namespace multiproc::inline v0::detail
