// What a process and its forkserver say to each other (API.md Part 5, "The
// forkserver"), over the SOCK_SEQPACKET socketpair made at the server's
// exec: one message per request and per reply, so a message's fds
// (SCM_RIGHTS) always arrive with it.
//
//   server -> process, once:  hello (ready, or refused with the reason)
//   process -> server:        request_header + payload inline, or + memfd
//       fds: cwd (O_PATH), the caller's fd 1, fd 2, [memfd], passed fds
//   server -> process:        reply; fds: the child's pidfd, its report end
//   server -> report end:     exit_report when the child has been reaped
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace multiproc::inline v0::detail::forkserver {

inline constexpr std::uint32_t kMagic = 0x6d70'6673;  // "mpfs"

/// The first message: 0 means ready; otherwise the text after the header
/// is the usage_error every forkserver start throws.
struct hello {
  std::uint32_t magic = kMagic;
  std::uint32_t refused = 0;
};

/// Payloads larger than this travel in a memfd (the socket's buffer bounds
/// one message).
inline constexpr std::size_t kInlinePayload = std::size_t{32} << 10;

struct request_header {
  std::uint32_t magic = kMagic;
  std::uint32_t in_memfd = 0;
  // launch_options::lead_process_group: the server and the child both
  // setpgid, so the group exists before the reply (a pool may signal it
  // at once).
  std::uint32_t lead_process_group = 0;
  std::uint64_t size = 0;
};

/// The fixed fds at the front of a request, then the memfd (when
/// in_memfd), then the passed fds in launch_request::fds order.
enum request_fd : std::size_t { cwd_fd, stdout_fd, stderr_fd, fixed_fds };

struct reply {
  std::uint32_t magic = kMagic;
  std::int32_t error = 0;  // an errno value from the server's fork
  std::int32_t pid = 0;
};

/// Written once on a child's report socket after the server reaped it.
struct exit_report {
  std::int32_t exitcode = 0;
  struct rusage used {};
};

/// The caller's context at start() that a forkserver child takes on,
/// besides the fds (API.md: "From the caller at start()").
struct caller_context {
  std::vector<std::byte> bootstrap;  // encode_bootstrap's bytes
  std::vector<std::string> environment;
  std::uint32_t umask = 022;
  std::uint64_t blocked = 0;  // signals 1..64, bit n-1 for signal n
  std::uint64_t ignored = 0;  // dispositions that are SIG_IGN
};

/// Errors: std::bad_alloc.
std::vector<std::byte> encode_payload(const caller_context& context);
/// Errors: multiproc::codec_error when the bytes are not a payload.
caller_context decode_payload(std::span<const std::byte> bytes);

/// The caller's context now: environ, umask, this thread's mask (or
/// `mask`), the ignored signals. Errors: std::bad_alloc.
caller_context capture_caller_context(std::vector<std::byte> bootstrap,
                                      const sigset_t* mask);

/// The marker value that tells an exec'd copy it is a forkserver whose
/// socket is `fd`: "forkserver:<fd>".
inline constexpr const char* kServerMarkerPrefix = "forkserver:";

}  // namespace multiproc::inline v0::detail::forkserver
