#include "sync/arena.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <new>
#include <system_error>

#include "posix/sys.hpp"
#include "posix/usable_prefix.hpp"
#include "sync/participants.hpp"

namespace multiproc::inline v0::detail::sync {
namespace {

// Reserved address space, not memory (see arena.hpp). 8 GiB holds 250
// million lock cells, or a few large arrays.
constexpr std::size_t kArenaBytes = std::size_t{8} << 30;
constexpr std::size_t kFirstCell = kParticipantsOffset + kParticipantsBytes;
constexpr std::uint64_t kOffsetMask = (std::uint64_t{1} << 40) - 1;

std::atomic<std::byte*> g_base{nullptr};
// How much of the arena this process can touch (posix/usable_prefix.hpp):
// the header and the participants from the start, cells as they are used.
usable_prefix g_usable;
std::mutex g_map_mutex;  // first use only; held across fork() (fork_hooks)

std::byte* map_arena() {
  // MFD_CLOEXEC: an exec'd program must not keep the arena alive.
  const int fd = sys::memfd_create("multiproc-sync", MFD_CLOEXEC);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "memfd_create");
  }
  if (sys::ftruncate(fd, static_cast<off_t>(kArenaBytes)) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "ftruncate");
  }
  void* base = sys::mmap(nullptr, kArenaBytes, PROT_NONE,
                         MAP_SHARED | MAP_NORESERVE, fd, 0);
  if (base == MAP_FAILED) {
    const int error = errno;
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "mmap");
  }
  g_usable.reset(static_cast<std::byte*>(base), kArenaBytes, 0);
  if (const int error = g_usable.ensure(kFirstCell); error != 0) {
    ::munmap(base, kArenaBytes);
    ::close(fd);
    throw std::system_error(error, std::generic_category(), "mprotect");
  }
  // The descriptor stays open (close-on-exec) for Part 5, which passes it
  // to children that are not forks. The mapping alone keeps the memory.
  auto* header = static_cast<arena_header*>(base);
  header->bump = kFirstCell;
  return static_cast<std::byte*>(base);
}

// Makes the arena's first `end` bytes usable here, or throws.
void make_usable(std::size_t end) {
  if (const int error = g_usable.ensure(end); error != 0) {
    throw std::system_error(error, std::generic_category(), "mprotect");
  }
}

arena_header& header() noexcept {
  return *reinterpret_cast<arena_header*>(
      g_base.load(std::memory_order_acquire));
}

int size_class(std::size_t bytes) noexcept {
  int k = 0;
  std::size_t size = kSmallestCell;
  while (size < bytes && k + 1 < kSizeClasses) {
    size <<= 1;
    ++k;
  }
  return k;
}

std::size_t class_bytes(int k) noexcept { return kSmallestCell << k; }

}  // namespace

std::byte* arena_if_mapped() noexcept {
  return g_base.load(std::memory_order_acquire);
}

std::byte* arena() {
  std::byte* base = g_base.load(std::memory_order_acquire);
  if (base != nullptr) return base;
  // The fork handlers first: they hold g_map_mutex across fork(), so a
  // child never inherits it locked by a thread mapping the arena now.
  on_arena_mapped();
  std::lock_guard lock(g_map_mutex);
  base = g_base.load(std::memory_order_acquire);
  if (base == nullptr) {
    base = map_arena();
    g_base.store(base, std::memory_order_release);
  }
  return base;
}

void arena_before_fork() noexcept { g_map_mutex.lock(); }
void arena_after_fork_in_parent() noexcept { g_map_mutex.unlock(); }
void arena_after_fork_in_child() noexcept { new (&g_map_mutex) std::mutex; }

void* allocate_cell(std::size_t bytes) {
  std::byte* base = arena();
  arena_header& h = header();
  const int k = size_class(bytes);
  const std::size_t size = class_bytes(k);
  if (size < bytes) {
    throw std::system_error(ENOMEM, std::generic_category(),
                            "multiproc: shared object too large");
  }
  // A free cell of this class first.
  std::atomic_ref<std::uint64_t> head(h.free_heads[k]);
  std::uint64_t old = head.load(std::memory_order_acquire);
  while ((old & kOffsetMask) != 0) {
    // A cell another process allocated may lie past what is usable here.
    make_usable((old & kOffsetMask) * kSmallestCell + size);
    std::byte* cell = base + (old & kOffsetMask) * kSmallestCell;
    const std::uint64_t next =
        std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(cell))
            .load(std::memory_order_relaxed);
    const std::uint64_t tag = (old >> 40) + 1;
    if (head.compare_exchange_weak(old, (next & kOffsetMask) | (tag << 40),
                                   std::memory_order_acq_rel)) {
      // The first word is the free list's link, which another thread that
      // loaded the old head may still read (its CAS then fails on the tag):
      // clear it atomically, the rest is ours alone.
      std::atomic_ref<std::uint64_t>(*reinterpret_cast<std::uint64_t*>(cell))
          .store(0, std::memory_order_relaxed);
      std::memset(cell + sizeof(std::uint64_t), 0,
                  size - sizeof(std::uint64_t));
      return cell;
    }
  }
  // Else fresh (zero) memory from the bump pointer, aligned to the class
  // up to 64 bytes (a cache line: no two small cells share one with a
  // large cell's start).
  const std::uint64_t align = size < 64 ? size : 64;
  std::atomic_ref<std::uint64_t> bump(h.bump);
  std::uint64_t at = bump.load(std::memory_order_relaxed);
  std::uint64_t start = 0;
  do {
    start = (at + align - 1) & ~(align - 1);
    if (start + size > kArenaBytes) {
      throw std::system_error(ENOMEM, std::generic_category(),
                              "multiproc: shared arena full");
    }
    make_usable(start + size);  // before the cell is taken: nothing lost
  } while (
      !bump.compare_exchange_weak(at, start + size, std::memory_order_relaxed));
  return base + start;
}

std::size_t arena_high_water() noexcept {
  if (arena_if_mapped() == nullptr) return 0;
  return static_cast<std::size_t>(std::atomic_ref<std::uint64_t>(header().bump)
                                      .load(std::memory_order_relaxed));
}

void free_cell(void* cell, std::size_t bytes) noexcept {
  std::byte* base = arena_if_mapped();
  arena_header& h = header();
  const int k = size_class(bytes);
  const auto offset =
      static_cast<std::uint64_t>(static_cast<std::byte*>(cell) - base) /
      kSmallestCell;
  std::atomic_ref<std::uint64_t> next(*static_cast<std::uint64_t*>(cell));
  std::atomic_ref<std::uint64_t> head(h.free_heads[k]);
  std::uint64_t old = head.load(std::memory_order_relaxed);
  do {
    next.store(old & kOffsetMask, std::memory_order_relaxed);
  } while (!head.compare_exchange_weak(old, offset | (((old >> 40) + 1) << 40),
                                       std::memory_order_release,
                                       std::memory_order_relaxed));
}

}  // namespace multiproc::inline v0::detail::sync
