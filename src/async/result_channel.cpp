#include "async/result_channel.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <thread>
#include <vector>

#include "posix/io.hpp"
#include "posix/mapping.hpp"

namespace multiproc::inline v0::detail::result_channel {
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
  return mapping::create_memfd("multiproc-result", out);
}

int write_at(int fd, const void* data, std::size_t size,
             std::uint64_t offset) noexcept {
  return io::pwrite_all(
      fd, std::span(static_cast<const std::byte*>(data), size), offset);
}

int discard(int fd) noexcept { return io::truncate(fd, 0); }

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
  if (int err = io::pread_full(fd, std::as_writable_bytes(std::span(&h, 1)), 0,
                               got)) {
    return err;
  }
  if (got == sizeof h && valid(h)) out = h.kind;
  return 0;
}

int read(int fd, committed& out) {
  out = committed{};
  auto buffer = std::make_shared<std::vector<std::byte>>(kSmallRead);
  std::size_t got = 0;
  if (int err = io::pread_full(fd, *buffer, 0, got)) {
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
  std::uint64_t file_size = 0;
  if (int err = io::file_size(fd, file_size)) return err;
  const std::uint64_t length = kHeaderSize + h.size;
  if (file_size < length) return 0;
  // MAP_POPULATE sets up the page tables in one pass instead of a fault
  // per page while the decoder copies. MAP_PRIVATE: the parent never
  // writes, and the child has exited.
  unique_mapping map;
  if (int err = mapping::map_file(fd, static_cast<std::size_t>(length),
                                  PROT_READ, MAP_PRIVATE | MAP_POPULATE, map)) {
    return err;
  }
  // The shared_ptr owns the mapping from here: were its allocation to
  // fail, it would call the deleter itself.
  const auto* base = static_cast<const std::byte*>(map.get());
  out.storage =
      std::shared_ptr<const void>(map.release(), [length](const void* p) {
        release_mapping(const_cast<void*>(p), static_cast<std::size_t>(length));
      });
  out.payload = std::span<const std::byte>(base + kHeaderSize,
                                           static_cast<std::size_t>(h.size));
  out.kind = h.kind;
  return 0;
}

}  // namespace multiproc::inline v0::detail::result_channel
