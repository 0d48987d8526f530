#include "posix/mapping.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "posix/sys.hpp"

namespace multiproc::inline v0::detail::mapping {

int create_memfd(const char* name, unique_fd& out) noexcept {
  int fd = sys::memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return errno;
  out.reset(fd);
  return 0;
}

int map_anonymous_shared(std::size_t length, unique_mapping& out) noexcept {
  void* address = sys::mmap(nullptr, length, PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (address == MAP_FAILED) return errno;
  out = unique_mapping(address, length);
  return 0;
}

int map_file(int fd, std::size_t length, int protection, int flags,
             unique_mapping& out) noexcept {
  void* address = sys::mmap(nullptr, length, protection, flags, fd, 0);
  if (address == MAP_FAILED) return errno;
  out = unique_mapping(address, length);
  return 0;
}

void advise_huge_pages(void* data, std::size_t size) noexcept {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t first = (begin + page - 1) & ~(page - 1);
  const std::uintptr_t last = (begin + size) & ~(page - 1);
  if (last <= first) return;
  // NOLINTNEXTLINE(performance-no-int-to-ptr): the page-aligned interior
  (void)::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
}

}  // namespace multiproc::inline v0::detail::mapping
