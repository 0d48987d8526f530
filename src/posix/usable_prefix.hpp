// Address space reserved as PROT_NONE and made readable and writable from
// its start only as far as it is used, separately in each process.
//
// The shared arena (8 GiB) and each queue's or pipe's data area (4 times
// max_bytes) are reservations, not memory. Mapped readable, every byte of
// them is memory to anything that reads the whole mapping: valgrind's leak
// scan, gdb's gcore, a core dump. A read of a never-written byte of a
// memfd allocates a page, so such a reader made 16 GiB of one pipe's
// process resident and took minutes. Here only the used prefix can be read;
// the rest faults, which nothing of ours does, because every access to a
// cell first calls ensure() for the cell's end.
//
// Each process grows its own prefix: a cell another process allocated
// beyond this process's prefix is made usable here on first access. A fork
// child inherits both the protection and the recorded size (it is plain
// memory), so what the parent could use the child can.
#pragma once

#include <atomic>
#include <cstddef>

namespace multiproc::inline v0::detail {

class usable_prefix {
 public:
  /// Starts to track `reserved` bytes at `base`, of which the first
  /// `usable` are already readable and writable. Not thread safe: call it
  /// before the mapping is shared with other threads.
  void reset(std::byte* base, std::size_t reserved,
             std::size_t usable) noexcept {
    base_ = base;
    reserved_ = reserved;
    usable_.store(usable, std::memory_order_relaxed);
  }

  /// 0 once [base, base + end) is readable and writable in this process
  /// (end <= the reserved size), else mprotect's errno (ENOMEM: the map
  /// count limit). Thread safe, lock free.
  int ensure(std::size_t end) noexcept {
    if (end <= usable_.load(std::memory_order_acquire)) return 0;
    return grow(end);
  }

 private:
  int grow(std::size_t end) noexcept;

  std::byte* base_ = nullptr;
  std::size_t reserved_ = 0;
  std::atomic<std::size_t> usable_{0};
};

}  // namespace multiproc::inline v0::detail
