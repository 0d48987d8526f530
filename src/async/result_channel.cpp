#include "async/result_channel.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include "posix/sys.hpp"

namespace multiproc::detail::result_channel {
namespace {

constexpr std::uint64_t kMagic = 0x6d70726573756c74;  // "mpresult"
constexpr std::uint32_t kVersion = 1;
// One pread this size fetches the header and any small payload at once.
constexpr std::size_t kSmallRead = 4096;

struct header {
  std::uint64_t magic;
  std::uint32_t kind;
  std::uint32_t version;
  std::uint64_t size;
  std::uint64_t check;
  std::byte reserved[32];
};
static_assert(sizeof(header) == kHeaderSize);

std::uint64_t check_word(const header& h) {
  return h.magic ^ (h.size * 0x9e3779b97f4a7c15) ^ h.kind ^
         (std::uint64_t{h.version} << 32);
}

bool valid(const header& h) {
  return h.magic == kMagic && h.version == kVersion && h.kind != 0 &&
         h.check == check_word(h);
}

int read_at(int fd, void* data, std::size_t size, std::uint64_t offset,
            std::size_t& got) noexcept {
  got = 0;
  auto* bytes = static_cast<std::byte*>(data);
  while (got < size) {
    ssize_t n = sys::pread(fd, bytes + got, size - got,
                           static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return 0;
}

// Unmapping the last reference to a large memfd frees all its pages, which
// costs about a third of the transfer itself (75 ms for 256 MiB on a small
// VM). The value has been decoded by then, so the freeing is done off the
// caller's path by a short-lived thread; inline if no thread can be had.
constexpr std::size_t kBackgroundRelease = std::size_t{16} << 20;

void release_mapping(void* map, std::size_t length) noexcept {
  if (length >= kBackgroundRelease) {
    try {
      std::thread([map, length] { ::munmap(map, length); }).detach();
      return;
    } catch (...) {
    }
  }
  ::munmap(map, length);
}

}  // namespace

int create(unique_fd& out) noexcept {
  int fd = sys::memfd_create("multiproc-result", MFD_CLOEXEC);
  if (fd < 0) return errno;
  out.reset(fd);
  return 0;
}

int write_at(int fd, const void* data, std::size_t size,
             std::uint64_t offset) noexcept {
  const auto* bytes = static_cast<const std::byte*>(data);
  while (size > 0) {
    ssize_t n = sys::pwrite(fd, bytes, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
  return 0;
}

int discard(int fd) noexcept {
  while (sys::ftruncate(fd, 0) != 0) {
    if (errno != EINTR) return errno;
  }
  return 0;
}

int commit(int fd, std::uint32_t kind, std::uint64_t payload_size) noexcept {
  header h{};
  h.magic = kMagic;
  h.kind = kind;
  h.version = kVersion;
  h.size = payload_size;
  h.check = check_word(h);
  return write_at(fd, &h, sizeof h, 0);
}

int has_result(int fd, bool& out) noexcept {
  std::uint32_t kind = 0;
  out = false;
  if (int err = committed_kind(fd, kind)) return err;
  out = kind != 0;
  return 0;
}

int committed_kind(int fd, std::uint32_t& out) noexcept {
  header h{};
  std::size_t got = 0;
  out = 0;
  if (int err = read_at(fd, &h, sizeof h, 0, got)) return err;
  if (got == sizeof h && valid(h)) out = h.kind;
  return 0;
}

int read(int fd, committed& out) {
  out = committed{};
  auto buffer = std::make_shared<std::vector<std::byte>>(kSmallRead);
  std::size_t got = 0;
  if (int err = read_at(fd, buffer->data(), buffer->size(), 0, got)) {
    return err;
  }
  if (got < sizeof(header)) return 0;
  header h{};
  std::memcpy(&h, buffer->data(), sizeof h);
  if (!valid(h)) return 0;
  if (h.size <= got - kHeaderSize) {
    // The payload starts 64 bytes into a new[]-allocated buffer, so it is
    // aligned for any fundamental type.
    out.payload = std::span<const std::byte>(buffer->data() + kHeaderSize,
                                             static_cast<std::size_t>(h.size));
    out.storage = std::move(buffer);
    out.kind = h.kind;
    return 0;
  }
  struct stat info {};
  if (sys::fstat(fd, &info) != 0) return errno;
  const std::uint64_t length = kHeaderSize + h.size;
  if (static_cast<std::uint64_t>(info.st_size) < length) return 0;
  // MAP_POPULATE sets up the page tables in one pass instead of a fault
  // per page while the decoder copies. MAP_PRIVATE: the parent never
  // writes, and the child has exited.
  void* map = sys::mmap(nullptr, static_cast<std::size_t>(length), PROT_READ,
                        MAP_PRIVATE | MAP_POPULATE, fd, 0);
  if (map == MAP_FAILED) return errno;
  const auto* base = static_cast<const std::byte*>(map);
  try {
    out.storage = std::shared_ptr<const void>(map, [length](const void* p) {
      release_mapping(const_cast<void*>(p), static_cast<std::size_t>(length));
    });
  } catch (...) {
    ::munmap(map, static_cast<std::size_t>(length));
    throw;
  }
  out.payload = std::span<const std::byte>(base + kHeaderSize,
                                           static_cast<std::size_t>(h.size));
  out.kind = h.kind;
  return 0;
}

}  // namespace multiproc::detail::result_channel
