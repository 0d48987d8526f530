// The forkserver start method, on the caller's side: the request (the
// bootstrap spawn would write, plus the caller's context) goes to this
// process's forkserver with the fds it needs; the reply is the child's pid,
// its pidfd (proven by the server) and the socket its report comes on.
//
// No anchor thread here: the child's PR_SET_PDEATHSIG follows the server's
// only thread, and the server's own follows this process.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "launch/exec_bootstrap.hpp"
#include "launch/forkserver_client.hpp"
#include "launch/forkserver_handle.hpp"
#include "launch/forkserver_protocol.hpp"
#include "launch/launcher_for.hpp"
#include "posix/io.hpp"
#include "posix/mapping.hpp"
#include "posix/sys.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail {
namespace {

// The caller's fd 1 or 2, or /dev/null in its place when it is closed (a
// closed fd cannot be sent, and the child must not get some other file at
// that number).
int standard_fd(int fd, unique_fd& substitute) {
  if (sys::fcntl(fd, F_GETFD, 0) >= 0) return fd;
  substitute.reset(sys::open("/dev/null", O_WRONLY | O_CLOEXEC));
  return substitute.get();
}

int launch_through_server(const launch_request& request,
                          std::unique_ptr<child_handle>& out) {
  if (request.portable == nullptr) return EINVAL;
  if (request.fds.size() > kMaxPassedFds) return EINVAL;
  for (const passed_fd& p : request.fds) {
    if (p.fd < 0 || p.child_fd < 0) return EBADF;
  }
  const std::vector<std::byte> payload =
      forkserver::encode_payload(forkserver::capture_caller_context(
          encode_bootstrap(
              encode_portable_request(*request.portable, request.fds),
              request.limits),
          request.options.signal_mask));
  forkserver::request_header header;
  header.size = payload.size();
  header.in_memfd = payload.size() > forkserver::kInlinePayload ? 1 : 0;
  header.lead_process_group = request.options.lead_process_group ? 1 : 0;
  std::vector<std::byte> message(sizeof header);
  std::memcpy(message.data(), &header, sizeof header);
  unique_fd memfd;
  if (header.in_memfd != 0) {
    if (int err =
            mapping::create_memfd("multiproc-forkserver-request", memfd)) {
      return err;
    }
    if (int err = io::pwrite_all(memfd.get(), payload, 0)) return err;
  } else {
    message.insert(message.end(), payload.begin(), payload.end());
  }
  unique_fd cwd(sys::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!cwd) return errno;
  unique_fd out_substitute, err_substitute;
  std::vector<int> fds{cwd.get(), standard_fd(1, out_substitute),
                       standard_fd(2, err_substitute)};
  if (fds[1] < 0 || fds[2] < 0) return errno;
  if (memfd) fds.push_back(memfd.get());
  for (const passed_fd& p : request.fds) fds.push_back(p.fd);

  forkserver_child_fds child;
  if (int err = request_forkserver_child(message, fds, child)) return err;
  out = std::make_unique<forkserver_child>(child.pid, std::move(child.pidfd),
                                           std::move(child.report));
  return 0;
}

class forkserver_launcher_impl final : public launcher {
 public:
  int launch(const launch_request& request,
             std::unique_ptr<child_handle>& out) noexcept override {
    try {
      return launch_through_server(request, out);
    } catch (const std::bad_alloc&) {
      return ENOMEM;
    } catch (...) {
      return EINVAL;  // the request could not be encoded
    }
  }
};

}  // namespace

launcher& forkserver_launcher() {
  static forkserver_launcher_impl instance;
  return instance;
}

}  // namespace multiproc::inline v0::detail
