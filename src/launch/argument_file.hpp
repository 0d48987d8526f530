// Large arguments of a portable request (a forkserver's or a spawn child's)
// travel in a memfd of their own, passed to the child beside the request,
// instead of inside the request's bytes. Inside, every layer would copy
// them: the request's encoding, the bootstrap's, the forkserver payload's,
// the memfd, then in the child the read and three decodes, each over fresh
// memory (about twelve passes of a 256 MiB argument, BENCHMARKS.md). Here
// the parent's encoder hands large blocks straight to the file and the
// child decodes from its own mapping of it: one pass each side.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "multiproc/codec.hpp"
#include "posix/mapping.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail {

/// The parent's side: an encoder whose blocks of 64 KiB or more (and
/// buffers past 1 MiB) go to a memfd made at the first of them; small
/// arguments never make one.
class argument_writer {
 public:
  argument_writer() noexcept;
  argument_writer(const argument_writer&) = delete;
  argument_writer& operator=(const argument_writer&) = delete;

  encoder& out() noexcept { return encoder_; }
  /// Ends the encoding. Returns the file holding all the arguments, or an
  /// empty fd when none was made and they are in `small` instead.
  /// Errors: std::system_error from memfd_create or pwrite (also thrown by
  /// out()'s writes); std::bad_alloc.
  unique_fd finish(std::vector<std::byte>& small);

 private:
  static void sink(void* self, const void* data, std::size_t size);

  unique_fd file_;
  std::uint64_t written_ = 0;
  encoder encoder_;
};

/// The child's side: the arguments in `fd`, mapped read-only, and `fd`
/// closed (it is the library's, not the target's). Unmapped on
/// destruction or release(). Errors: std::system_error from fstat or mmap.
class mapped_arguments {
 public:
  explicit mapped_arguments(int fd);

  std::span<const std::byte> bytes() const noexcept;
  /// A portable_entry's release hook: unmaps `self` (a mapped_arguments).
  static void release(void* self) noexcept;

 private:
  unique_mapping mapping_;
};

}  // namespace multiproc::inline v0::detail
