#include "posix/usable_prefix.hpp"

#include <sys/mman.h>

#include <cerrno>

#include "posix/sys.hpp"

namespace multiproc::inline v0::detail {
namespace {

// Growth at least doubles, from 1 MiB, so a process makes a few dozen
// mprotect calls over a mapping's whole life; in 64 KiB steps, a multiple
// of every page size Linux uses for such mappings.
constexpr std::size_t kFirstGrowth = std::size_t{1} << 20;
constexpr std::size_t kStep = std::size_t{64} << 10;

}  // namespace

int usable_prefix::grow(std::size_t end) noexcept {
  std::size_t usable = usable_.load(std::memory_order_acquire);
  std::size_t target = usable * 2;
  if (target < kFirstGrowth) target = kFirstGrowth;
  if (target < end) target = end;
  target = (target + kStep - 1) & ~(kStep - 1);
  if (target > reserved_) target = reserved_;
  if (end > target) return EINVAL;  // beyond the reservation: a bug
  // [base, base + usable) is usable already: only the rest is changed, so
  // the kernel never walks the pages in use. Two threads growing at once
  // both succeed; making a range usable twice is harmless.
  if (sys::mprotect(base_ + usable, target - usable, PROT_READ | PROT_WRITE) !=
      0) {
    return errno;
  }
  while (usable < target && !usable_.compare_exchange_weak(
                                usable, target, std::memory_order_release,
                                std::memory_order_acquire)) {
  }
  return 0;
}

}  // namespace multiproc::inline v0::detail
