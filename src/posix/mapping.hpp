// Owned memory mappings: the result channel's view of a memfd, the pool's
// slot page and Part 4's shared memory all map, share and unmap the same way.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <utility>

#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail {

/// A mapping unmapped on destruction. Movable, not copyable.
class unique_mapping {
 public:
  unique_mapping() noexcept = default;
  unique_mapping(void* address, std::size_t length) noexcept
      : address_(address), length_(length) {}
  unique_mapping(unique_mapping&& other) noexcept
      : address_(std::exchange(other.address_, nullptr)),
        length_(std::exchange(other.length_, 0)) {}
  unique_mapping& operator=(unique_mapping&& other) noexcept {
    if (this != &other) {
      reset();
      address_ = std::exchange(other.address_, nullptr);
      length_ = std::exchange(other.length_, 0);
    }
    return *this;
  }
  unique_mapping(const unique_mapping&) = delete;
  unique_mapping& operator=(const unique_mapping&) = delete;
  ~unique_mapping() { reset(); }

  void* get() const noexcept { return address_; }
  std::size_t size() const noexcept { return length_; }
  explicit operator bool() const noexcept { return address_ != nullptr; }
  /// Gives up ownership: the caller unmaps.
  void* release() noexcept {
    length_ = 0;
    return std::exchange(address_, nullptr);
  }
  void reset() noexcept {
    if (address_ != nullptr) ::munmap(address_, length_);
    address_ = nullptr;
    length_ = 0;
  }

 private:
  void* address_ = nullptr;
  std::size_t length_ = 0;
};

namespace mapping {

/// memfd_create(2) with MFD_CLOEXEC: a child keeps the fd across fork, a
/// program it execs does not. `name` shows in /proc/<pid>/fd only.
int create_memfd(const char* name, unique_fd& out) noexcept;

/// Anonymous memory shared with the children forked after this call
/// (MAP_SHARED | MAP_ANONYMOUS), zero filled. Returns 0 or an errno value.
int map_anonymous_shared(std::size_t length, unique_mapping& out) noexcept;

/// Maps `length` bytes of `fd` from offset 0 with `protection` and `flags`
/// (MAP_SHARED or MAP_PRIVATE, plus MAP_POPULATE and the like).
int map_file(int fd, std::size_t length, int protection, int flags,
             unique_mapping& out) noexcept;

/// madvise(MADV_HUGEPAGE) over the whole pages inside [data, data + size)
/// (which need not be page aligned): best effort, errors ignored.
void advise_huge_pages(void* data, std::size_t size) noexcept;

}  // namespace mapping
}  // namespace multiproc::inline v0::detail
