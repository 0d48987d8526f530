// The result channel of an async() child: a memfd the parent makes before
// the fork, the child fills, and the parent reads after the child exited.
//
// Layout: a 64-byte header at offset 0, the payload from offset 64. The
// child writes the payload first and the header last; the header carries a
// check word, so a header torn by a crash is not mistaken for a result.
// No function here throws (allocation aside): each returns 0 or an errno.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail::result_channel {

inline constexpr std::uint64_t kHeaderSize = 64;

/// memfd_create(MFD_CLOEXEC): the child keeps it across fork, a program
/// the child execs does not.
int create(unique_fd& out) noexcept;

/// pwrite(2) until done, retrying EINTR and short writes.
int write_at(int fd, const void* data, std::size_t size,
             std::uint64_t offset) noexcept;

/// Drops everything written so far.
int discard(int fd) noexcept;

/// Writes the header that makes `payload_size` bytes at offset 64 a result
/// of `kind`.
int commit(int fd, std::uint32_t kind, std::uint64_t payload_size) noexcept;

struct committed {
  std::uint32_t kind = 0;  // 0: no (valid) result
  std::span<const std::byte> payload;
  std::shared_ptr<const void> storage;  // keeps `payload` alive
};

/// Reads the header, and the payload when there is a valid result: small
/// payloads with the same pread as the header, large ones by mapping the
/// memfd (no copy until the decoder copies into the final value).
int read(int fd, committed& out);

/// Just the header: whether a valid result was committed.
int has_result(int fd, bool& out) noexcept;

/// Just the header: the kind of the committed result, 0 when there is no
/// valid one. Reads nothing else and leaves the result in place.
int committed_kind(int fd, std::uint32_t& out) noexcept;

}  // namespace multiproc::inline v0::detail::result_channel
