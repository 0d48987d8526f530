// The shared arena: one memfd, mapped MAP_SHARED once per program, from
// which every lock, semaphore and event is carved as a small cell.
//
// Why one mapping: Python's Lock costs a sem_open page each and stops at
// 65,344 (vm.max_map_count); a cell here costs 32 bytes and no descriptor,
// so a program holds millions. Why reserve the whole range at once: a child
// forked at any time after the first object shares every page of it, so an
// object made later in a process is at the same address in every process
// that maps the arena — nothing has to be re-mapped or told about growth.
// The range is reserved address space (MAP_NORESERVE on a sparse memfd):
// only the pages that cells touch use memory.
//
// Why a memfd rather than MAP_ANONYMOUS: Part 5's spawn and forkserver
// children will receive the arena by descriptor. The descriptor is
// close-on-exec and is the one fd the whole of Part 4a uses.
//
// Layout: a header page (allocation state), the participant registry
// (participants.hpp), then cells.
#pragma once

#include <cstddef>
#include <cstdint>

namespace multiproc::inline v0::detail::sync {

/// Size classes of cells: 32 << k bytes.
inline constexpr std::size_t kSmallestCell = 32;
inline constexpr int kSizeClasses = 30;

/// The first page of the arena. Every field is used through atomic_ref:
/// several processes change it at once, and any of them may die midway.
struct arena_header {
  std::uint64_t bump;  // offset of the first never-used byte
  // Per size class, a lock-free stack of free cells: (offset / 32) in the
  // low 40 bits, an ABA tag in the high 24 (a process may be preempted, or
  // die, between reading the head and swapping it).
  std::uint64_t free_heads[kSizeClasses];
  std::uint32_t participant_cursor;       // where the next claim starts looking
  std::uint32_t participant_chunks[256];  // 0 unset, 1 being set, 2 ready
};

/// The arena's base address, mapping it on first use (thread-safe).
/// Errors: std::system_error when memfd_create, ftruncate or mmap fail; then
/// nothing is left open or mapped.
std::byte* arena();

/// The base address if this process maps the arena, else null. Never maps.
std::byte* arena_if_mapped() noexcept;

/// A cell of at least `bytes`, zero-filled, 16-byte aligned.
/// Errors: std::system_error (ENOMEM) when the arena is full.
void* allocate_cell(std::size_t bytes);

/// Installs the fork handlers (fork_hooks.cpp) once, before the first
/// mapping. Errors: none that it can report; see fork_hooks.cpp.
void on_arena_mapped() noexcept;

/// For the fork handlers: hold the mapping lock across fork().
void arena_before_fork() noexcept;
void arena_after_fork_in_parent() noexcept;
void arena_after_fork_in_child() noexcept;

/// How far into the arena cells have ever been carved (bytes); for tests
/// and diagnostics: it grows only when no freed cell fits.
std::size_t arena_high_water() noexcept;

/// Gives back a cell from allocate_cell(`bytes`); it may be reused at once.
void free_cell(void* cell, std::size_t bytes) noexcept;

}  // namespace multiproc::inline v0::detail::sync
