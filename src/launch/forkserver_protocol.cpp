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

// Two lines of /proc/self/status (Linux 4.7+ for Umask): umask(2) can
// only read the mask by setting it, and another thread creating a file in
// between would get the wrong one; SigIgn says in one read what 64
// sigaction(2) calls would. Without /proc, those ways.
struct process_status {
  mode_t umask;
  std::uint64_t ignored;
};

bool read_status(process_status& out) {
  unique_fd status(sys::open("/proc/self/status", O_RDONLY | O_CLOEXEC));
  if (!status) return false;
  char text[2048] = {};  // Umask is the second line, SigIgn about the 35th
  std::size_t got = 0;
  std::size_t used = 0;
  while (used < sizeof text - 1) {
    const std::span<char> rest(text + used, sizeof text - 1 - used);
    if (io::read_some(status.get(), std::as_writable_bytes(rest), got) != 0 ||
        got == 0) {
      break;
    }
    used += got;
  }
  const char* umask_line = std::strstr(text, "\nUmask:");
  const char* ignored_line = std::strstr(text, "\nSigIgn:");
  if (umask_line == nullptr || ignored_line == nullptr) return false;
  out.umask = static_cast<mode_t>(std::strtoul(umask_line + 7, nullptr, 8));
  out.ignored = std::strtoull(ignored_line + 8, nullptr, 16);
  return true;
}

process_status status_without_proc() {
  process_status out{};
  out.umask = ::umask(022);
  ::umask(out.umask);
  for (int signo = 1; signo <= kLastSignal; ++signo) {
    struct sigaction action {};
    if (::sigaction(signo, nullptr, &action) == 0 &&
        action.sa_handler == SIG_IGN) {
      out.ignored |= signal_bit(signo);
    }
  }
  return out;
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
  process_status status{};
  if (!read_status(status)) status = status_without_proc();
  context.umask = status.umask;
  context.ignored = status.ignored;
  sigset_t blocked;
  if (mask != nullptr) {
    blocked = *mask;
  } else {
    ::pthread_sigmask(SIG_SETMASK, nullptr, &blocked);
  }
  for (int signo = 1; signo <= kLastSignal; ++signo) {
    if (sigismember(&blocked, signo) == 1) context.blocked |= signal_bit(signo);
  }
  return context;
}

}  // namespace multiproc::inline v0::detail::forkserver
