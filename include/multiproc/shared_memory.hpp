// multiproc/shared_memory.hpp — a block of bytes every process can map
// (API.md Part 4, Python's multiprocessing.shared_memory.SharedMemory).
//
//   mp::shared_memory block(1 << 20);          // anonymous: nothing named
//   mp::process child([block] { block.buf()[0] = std::byte{42}; });
//   child.start(); child.join();
//
//   mp::shared_memory named({.name = "frames", .create = true, .size = n});
//   // another program: mp::shared_memory({.name = "frames"})
//
// Anonymous by default: it reaches children by fork and never appears
// under /dev/shm. Named only on request (shm_open, mode 0600), and then
// only its creator unlinks the name — never an attacher (gh-82300): with
// `track` (the default) when the creator lets go (its last handle closed
// or destroyed), with track = false when someone calls unlink(). A creator
// killed by a signal cannot unlink; shared_memory::unlink(name) removes
// the stale name.
//
// A handle: copies in this process share one mapping; a fork child
// inherits it. Thread safety: any thread; close() must not race with use
// of buf() spans, as with a vector's iterators.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "multiproc/detail/sync_handle_traits.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// What shared_memory(options) creates or attaches.
/// Python: SharedMemory(name, create, size, track) arguments.
struct shared_memory_options {
  std::string name{};  // empty: anonymous (nothing under /dev/shm)
  bool create = false;
  std::size_t size = 0;  // create: the size; attach: ignored
  bool track = true;     // named + create: the creator unlinks the name
                         // when it lets go (Python 3.13's `track`)
};

namespace detail::shm {
struct segment;  // src/shm/shared_memory.cpp
}

/// Python's SharedMemory.
///
/// Errors: usage_error with Python's messages for a size above
/// PTRDIFF_MAX ("'size' must be a positive integer"), a create with size 0
/// ("'size' must be a positive number different from zero"), no name
/// without create ("'name' can only be None if create=True");
/// std::system_error with Python's errno otherwise: attaching a missing
/// name ENOENT, creating an existing one EEXIST, a name with '/' EINVAL,
/// unlink() of a gone name ENOENT, and the OS's refusals. A construction
/// that fails leaves no name and no mapping behind.
class shared_memory {
 public:
  /// Anonymous, `size` bytes: {.create = true, .size = size}.
  /// Python: SharedMemory(create=True, size=size), but never named.
  /// Errors: usage_error for size 0 or above PTRDIFF_MAX (the class's
  /// messages); std::system_error when memfd_create, ftruncate or mmap fail.
  explicit shared_memory(std::size_t size);
  /// Python's SharedMemory(name, create, size, track).
  /// Errors: those of the class comment.
  explicit shared_memory(shared_memory_options options);
  /// The bytes; empty after close(). Python: SharedMemory.buf.
  std::span<std::byte> buf() const noexcept;
  /// As given, no leading '/'; empty if anonymous. Python: SharedMemory.name
  /// (with a generated name where Python's anonymous ones have one).
  /// Errors: std::bad_alloc.
  std::string name() const;
  /// Exactly as requested (create) or as the segment is (attach).
  /// Python: SharedMemory.size.
  std::size_t size() const noexcept;
  /// Unmaps the segment in this process, for every handle here (the
  /// creator with `track` also unlinks the name). Idempotent.
  /// Python: SharedMemory.close(). Errors: none.
  void close();
  /// Removes the name; mappings stay valid. Python: SharedMemory.unlink().
  /// Errors: std::system_error ENOENT if the name is gone or the segment is
  /// anonymous; other shm_unlink errnos.
  void unlink();
  /// Removes a stale name (after a crash). Python: none (shm_unlink, or
  /// SharedMemory(name).unlink()). Errors: std::system_error ENOENT if gone;
  /// other shm_unlink errnos.
  static void unlink(const std::string& name);

 private:
  friend std::uint64_t handle_birth(const shared_memory& shm) noexcept;
  std::shared_ptr<detail::shm::segment> segment_;
};

namespace detail::sync {
/// Marks shared_memory as a handle that may be inherited by children; no
/// Python equivalent.
template <>
struct is_handle<shared_memory> : std::true_type {
  static constexpr const char* python_name = "SharedMemory";
};
}  // namespace detail::sync

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
