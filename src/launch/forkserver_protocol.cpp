#include "launch/forkserver_protocol.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <cstdlib>
#include <cstring>
#include <span>

#include "multiproc/codec.hpp"
#include "posix/io.hpp"
#include "posix/sys.hpp"
#include "posix/unique_fd.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace multiproc::inline v0::detail::forkserver {
namespace {

constexpr int kLastSignal = 64;

std::uint64_t signal_bit(int signo) { return std::uint64_t{1} << (signo - 1); }

// The "Umask:" line of /proc/self/status (Linux 4.7+): umask(2) can only
// read the mask by setting it, and another thread creating a file in
// between would get the wrong one. Without /proc, that racy way.
mode_t current_umask() {
  unique_fd status(sys::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  char text[512] = {};  // "Umask:" is the second line
  std::size_t got = 0;
  if (status &&
      io::read_some(status.get(),
                    std::as_writable_bytes(std::span(text, sizeof text - 1)),
                    got) == 0) {
    if (const char* line = std::strstr(text, "\nUmask:")) {
      return static_cast<mode_t>(std::strtoul(line + 7, nullptr, 8));
    }
  }
  const mode_t current = ::umask(022);
  ::umask(current);
  return current;
}

}  // namespace

std::vector<std::byte> encode_payload(const caller_context& context) {
  encoder out;
  out.write(context.bootstrap);
  out.write(context.environment);
  out.write(context.umask);
  out.write(context.blocked);
  out.write(context.ignored);
  return std::move(out).take_bytes();
}

caller_context decode_payload(std::span<const std::byte> bytes) {
  decoder in(bytes);
  caller_context context;
  context.bootstrap = in.read<std::vector<std::byte>>();
  context.environment = in.read<std::vector<std::string>>();
  context.umask = in.read<std::uint32_t>();
  context.blocked = in.read<std::uint64_t>();
  context.ignored = in.read<std::uint64_t>();
  if (in.remaining() != 0) throw codec_error("bad forkserver request");
  return context;
}

caller_context capture_caller_context(std::vector<std::byte> bootstrap,
                                      const sigset_t* mask) {
  caller_context context;
  context.bootstrap = std::move(bootstrap);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    context.environment.emplace_back(*e);
  }
  context.umask = current_umask();
  sigset_t blocked;
  if (mask != nullptr) {
    blocked = *mask;
  } else {
    ::pthread_sigmask(SIG_SETMASK, nullptr, &blocked);
  }
  for (int signo = 1; signo <= kLastSignal; ++signo) {
    if (sigismember(&blocked, signo) == 1) context.blocked |= signal_bit(signo);
    struct sigaction action {};
    if (::sigaction(signo, nullptr, &action) == 0 &&
        action.sa_handler == SIG_IGN) {
      context.ignored |= signal_bit(signo);
    }
  }
  return context;
}

}  // namespace multiproc::inline v0::detail::forkserver
