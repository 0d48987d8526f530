#include "launch/forkserver_protocol.hpp"

#include <signal.h>
#include <sys/stat.h>

#include "multiproc/codec.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace multiproc::inline v0::detail::forkserver {
namespace {

constexpr int kLastSignal = 64;

std::uint64_t signal_bit(int signo) { return std::uint64_t{1} << (signo - 1); }

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
  // umask(2) can only be read by setting it; put it straight back.
  const mode_t current = ::umask(022);
  ::umask(current);
  context.umask = current;
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
