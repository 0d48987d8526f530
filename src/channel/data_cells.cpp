#include "channel/data_cells.hpp"

#include <sys/mman.h>

namespace multiproc::inline v0::detail::channel {
namespace {

constexpr std::uint64_t kOffsetMask = (std::uint64_t{1} << 40) - 1;
constexpr std::uint64_t kResidentBytes = std::uint64_t{8} << 20;

int size_class(std::size_t bytes) noexcept {
  int k = 0;
  while ((kSmallestCell << k) < bytes && k + 1 < kCellClasses) ++k;
  return k;
}

}  // namespace

std::uint64_t allocate_data(ring_local& local, std::size_t bytes,
                            int& error) noexcept {
  ring_header& h = local.header();
  const int k = size_class(bytes);
  const std::uint64_t size = std::uint64_t{kSmallestCell} << k;
  std::byte* data = local.data();
  u64_ref head(h.free_cells[k]);
  std::uint64_t old = head.load(std::memory_order_acquire);
  while ((old & kOffsetMask) != 0) {
    const std::uint64_t offset = ((old & kOffsetMask) - 1) * kSmallestCell;
    // A cell another process allocated may lie past what is usable here.
    error = local.data_usable.ensure(offset + size);
    if (error != 0) return 0;
    const std::uint64_t next =
        u64_ref(*reinterpret_cast<std::uint64_t*>(data + offset))
            .load(std::memory_order_relaxed);
    const std::uint64_t tag = (old >> 40) + 1;
    if (head.compare_exchange_weak(old, (next & kOffsetMask) | (tag << 40),
                                   std::memory_order_acq_rel)) {
      std::uint64_t& resident =
          reinterpret_cast<std::uint64_t*>(data + offset)[1];
      if (resident != 0) {
        resident = 0;
        u64_ref(h.resident_cells).fetch_sub(size);
      }
      return offset + 1;
    }
  }
  // Aligned to the class up to 64 KiB, so that cells whose pages go back to
  // the system start on a page.
  const std::uint64_t align = size < kReturnedBytes ? size : kReturnedBytes;
  u64_ref bump(h.bump);
  std::uint64_t at = bump.load(std::memory_order_relaxed);
  std::uint64_t start = 0;
  do {
    start = (at + align - 1) & ~(align - 1);
    if (start + size > h.data_bytes) return 0;
    error = local.data_usable.ensure(start + size);  // before taking it
    if (error != 0) return 0;
  } while (
      !bump.compare_exchange_weak(at, start + size, std::memory_order_relaxed));
  return start + 1;
}

void free_data(ring_local& local, std::uint64_t cell,
               std::size_t bytes) noexcept {
  ring_header& h = local.header();
  const int k = size_class(bytes);
  const std::uint64_t size = std::uint64_t{kSmallestCell} << k;
  // A dead producer's cell (holders.cpp) may lie past what is usable here.
  if (local.data_usable.ensure(cell - 1 + size) != 0) return;
  std::byte* at = data_at(local, cell);
  if (size >= kReturnedBytes) {
    // Up to kResidentBytes of freed cells stay mapped for the next items
    // (a stream of 1 MiB items would otherwise fault in and zero every
    // page of every item); beyond that the pages go back to the system.
    // The first page keeps the free-list link and the flag.
    u64_ref resident(h.resident_cells);
    std::uint64_t seen = resident.load();
    bool keep = false;
    while (seen + size <= kResidentBytes &&
           !(keep = resident.compare_exchange_weak(seen, seen + size))) {
    }
    reinterpret_cast<std::uint64_t*>(at)[1] = keep ? 1 : 0;
    // An error (not shmem) leaves the pages in use, which is only memory.
    if (!keep) (void)::madvise(at + 4096, size - 4096, MADV_REMOVE);
  }
  const std::uint64_t index = (cell - 1) / kSmallestCell + 1;
  u64_ref next(*reinterpret_cast<std::uint64_t*>(at));
  u64_ref head(h.free_cells[k]);
  std::uint64_t old = head.load(std::memory_order_relaxed);
  do {
    next.store(old & kOffsetMask, std::memory_order_relaxed);
  } while (!head.compare_exchange_weak(old, index | (((old >> 40) + 1) << 40),
                                       std::memory_order_release,
                                       std::memory_order_relaxed));
}

}  // namespace multiproc::inline v0::detail::channel
