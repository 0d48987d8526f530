// The process's side of its forkserver: starting it (posix_spawn of the
// program with a marker and one end of a socketpair), waiting for its
// hello, one request at a time over the socket, and stopping and reaping a
// server that died, was refused, or serves other user ids.
#include "launch/forkserver_client.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <system_error>
#include <vector>

#include "launch/anchor_thread.hpp"
#include "launch/launcher.hpp"
#include "launch/per_process.hpp"
#include "launch/spawn_self.hpp"
#include "multiproc/errors.hpp"
#include "posix/fd_passing.hpp"
#include "posix/pidfd.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail {
namespace {

// The server's exec and the program's main up to its guard; a reply is one
// fork. Generous, so that only a stopped or wedged server reaches them.
constexpr auto kReadyWait = std::chrono::seconds(120);
constexpr auto kReplyWait = std::chrono::seconds(60);
// The server's socket end in the server.
constexpr int kServerSocketFd = 3;

int spawn_server_process(int server_end, std::unique_ptr<child_handle>& out) {
  // Above the number it takes in the server: dup2 onto itself would keep
  // FD_CLOEXEC and the server would lose its socket.
  unique_fd copy(sys::fcntl(server_end, F_DUPFD_CLOEXEC, kServerSocketFd + 1));
  if (!copy) return errno;
  spawn_file_actions actions;
  if (int err = ::posix_spawn_file_actions_init(&actions.value)) return err;
  actions.made = true;
  // Its fds 0-2 are /dev/null: every child gets its caller's 1 and 2 with
  // its request, and a server holding the caller's would keep whatever
  // they were at its start open (a pipe a test reads to its end, say) for
  // as long as the process lives. Code before the guard prints nothing.
  int err = ::posix_spawn_file_actions_addopen(&actions.value, 0, "/dev/null",
                                               O_RDONLY, 0);
  for (int fd = 1; err == 0 && fd <= 2; ++fd) {
    err = ::posix_spawn_file_actions_addopen(&actions.value, fd, "/dev/null",
                                             O_WRONLY, 0);
  }
  if (err == 0) {
    err = ::posix_spawn_file_actions_adddup2(&actions.value, copy.get(),
                                             kServerSocketFd);
  }
  if (err == 0) {
    err = ::posix_spawn_file_actions_addclosefrom_np(&actions.value,
                                                     kServerSocketFd + 1);
  }
  if (err != 0) return err;
  spawn_attributes attributes;
  if (int e = ::posix_spawnattr_init(&attributes.value)) return e;
  attributes.made = true;
  // The server blocks nothing: each child gets its caller's mask anyway.
  sigset_t none;
  sigemptyset(&none);
  err = ::posix_spawnattr_setsigmask(&attributes.value, &none);
  if (err == 0) {
    err = ::posix_spawnattr_setflags(&attributes.value, POSIX_SPAWN_SETSIGMASK);
  }
  if (err != 0) return err;

  const std::string marker = forkserver::kServerMarkerPrefix +
                             std::to_string(kServerSocketFd) + ":" +
                             std::to_string(::getpid());
  return spawn_self(actions, attributes, marker, out);
}

// On the anchor thread (or the main thread): the server arms its
// PR_SET_PDEATHSIG against the thread that spawned it, so that thread must
// live as long as the process. The socket's number rides in `context`.
int spawn_server_anchored(const launch_request& request, const sigset_t*,
                          std::unique_ptr<child_handle>& out) noexcept {
  try {
    return spawn_server_process(*static_cast<const int*>(request.context), out);
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  }
}

class client {
 public:
  std::mutex& mutex() noexcept { return mutex_; }

  /// Under the mutex: a running server, spawned if needed (not waited for).
  int start_locked() noexcept {
    if (server_ &&
        (has_ended_locked() || ::geteuid() != uid_ || ::getegid() != gid_)) {
      stop_locked();
    }
    if (server_) return 0;
    unique_fd ours, theirs;
    int pair[2];
    if (sys::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
      return errno;
    }
    ours.reset(pair[0]);
    theirs.reset(pair[1]);
    const int server_end = theirs.get();
    launch_request request;
    request.context = const_cast<int*>(&server_end);
    std::unique_ptr<child_handle> handle;
    const bool on_main_thread = ::gettid() == ::getpid();
    const int err =
        on_main_thread
            ? spawn_server_anchored(request, nullptr, handle)
            : launch_on_anchor(&spawn_server_anchored, request, handle);
    if (err != 0) return err;
    server_ = std::move(handle);
    socket_ = std::move(ours);
    ready_ = false;
    uid_ = ::geteuid();
    gid_ = ::getegid();
    return 0;
  }

  /// Under the mutex: a server that said it is ready. `refusal` receives
  /// its reason when it refused (EPERM).
  int ready_locked(std::string* refusal) noexcept {
    if (int err = start_locked()) return err;
    if (ready_) return 0;
    char buffer[sizeof(forkserver::hello) + 512];
    std::size_t got = 0;
    int err = receive_locked(std::as_writable_bytes(std::span(buffer)), got,
                             kReadyWait, nullptr);
    forkserver::hello hello;
    if (err == 0 && got < sizeof hello) err = EPIPE;  // died before its hello
    if (err == 0) {
      std::memcpy(&hello, buffer, sizeof hello);
      if (hello.magic != forkserver::kMagic) err = EPROTO;
    }
    if (err == 0 && hello.refused != 0) {
      if (refusal != nullptr) {
        try {
          refusal->assign(buffer + sizeof hello, got - sizeof hello);
        } catch (...) {
        }
      }
      err = EPERM;
    }
    if (err != 0) {
      stop_locked();
      return err;
    }
    ready_ = true;
    return 0;
  }

  int request_locked(std::span<const std::byte> message,
                     std::span<const int> fds,
                     forkserver_child_fds& out) noexcept {
    if (int err = ready_locked(nullptr)) return err;
    int err = fd_passing::send(socket_.get(), message, fds);
    forkserver::reply reply;
    std::vector<unique_fd> received;
    std::size_t got = 0;
    if (err == 0) {
      err = receive_locked(std::as_writable_bytes(std::span(&reply, 1)), got,
                           kReplyWait, &received);
    }
    if (err == 0 &&
        (got != sizeof reply || reply.magic != forkserver::kMagic)) {
      err = EPIPE;  // end of file: the server died with our request
    }
    if (err != 0) {
      // Whatever it was doing, it cannot be trusted with the next request.
      stop_locked();
      return err == ECONNRESET ? EPIPE : err;
    }
    if (reply.error != 0) return reply.error;
    if (received.size() != 2) {
      stop_locked();
      return EPROTO;
    }
    out.pid = reply.pid;
    out.pidfd = std::move(received[0]);
    out.report = std::move(received[1]);
    return 0;
  }

  void reap_if_ended_locked() noexcept {
    if (server_ && has_ended_locked()) stop_locked();
  }

  pid_t pid_locked() const noexcept { return server_ ? server_->pid() : 0; }

 private:
  int receive_locked(std::span<std::byte> into, std::size_t& got,
                     std::chrono::seconds patience,
                     std::vector<unique_fd>* fds) noexcept {
    pollfd watched{socket_.get(), POLLIN, 0};
    int ready = 0;
    const auto until = std::chrono::steady_clock::now() + patience;
    if (int err = pidfd::wait_readable(std::span(&watched, 1), until, ready)) {
      return err;
    }
    if (ready == 0) return ETIMEDOUT;
    std::vector<unique_fd> ignored;
    return fd_passing::receive(socket_.get(), into, got,
                               fds != nullptr ? *fds : ignored);
  }

  bool has_ended_locked() noexcept {
    child_status status;
    return server_->poll(status) == 0 && status.ended;
  }

  // Kills (a server that is fine exits on its own once the socket closes,
  // but one that is wedged would not) and reaps it.
  void stop_locked() noexcept {
    socket_.reset();
    ready_ = false;
    if (!server_) return;
    server_->send_signal(SIGKILL);
    bool ended = false;
    child_status status;
    const auto until = std::chrono::steady_clock::now() + kReplyWait;
    while (server_->wait(until, ended) == 0 && ended) {
      if (server_->poll(status) != 0 || status.ended) break;
    }
    server_.reset();
  }

  std::mutex mutex_;
  std::unique_ptr<child_handle> server_;  // its kernel_child: we reap it
  unique_fd socket_;
  bool ready_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
};

// This process's client. A fork child's copy belongs to its parent (its
// socket talks to the parent's server, its mutex may be held by a thread
// that does not exist here): it is abandoned, and the child makes its own.
// Never destroyed: the server must outlive exit.
client* instance() noexcept {
  return per_process<client>::get(
      []() -> client* { return new (std::nothrow) client(); });
}

}  // namespace

void start_forkserver_early() noexcept {
  client* c = instance();
  if (c == nullptr) return;
  std::lock_guard lock(c->mutex());
  (void)c->start_locked();
}

void ensure_forkserver_ready() {
  client* c = instance();
  if (c == nullptr) throw std::bad_alloc();
  std::string refusal;
  int err = 0;
  {
    std::lock_guard lock(c->mutex());
    err = c->ready_locked(&refusal);
  }
  if (err == EPERM && !refusal.empty()) throw usage_error(refusal);
  if (err != 0) {
    throw std::system_error(err, std::generic_category(), "forkserver");
  }
}

int request_forkserver_child(std::span<const std::byte> message,
                             std::span<const int> fds,
                             forkserver_child_fds& out) noexcept {
  client* c = instance();
  if (c == nullptr) return ENOMEM;
  std::lock_guard lock(c->mutex());
  return c->request_locked(message, fds, out);
}

void reap_forkserver_if_ended() noexcept {
  client* c = instance();
  if (c == nullptr) return;
  std::lock_guard lock(c->mutex());
  c->reap_if_ended_locked();
}

pid_t forkserver_pid() noexcept {
  client* c = instance();
  if (c == nullptr) return 0;
  std::lock_guard lock(c->mutex());
  return c->pid_locked();
}

}  // namespace multiproc::inline v0::detail
