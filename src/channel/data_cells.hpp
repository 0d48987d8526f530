// Cells of a ring's data area for items too large for a slot: lock-free
// free lists per size class (128 << k bytes) over a bump pointer, in the
// ring's own mapping. Cells of 64 KiB or more give their pages back to the
// system when freed (MADV_REMOVE), except for the last 8 MiB of them,
// kept for reuse: a queue that held large items and is now empty uses at
// most 8 MiB for them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "channel/ring_layout.hpp"

namespace multiproc::inline v0::detail::channel {

/// A cell of at least `bytes`, usable in this process, as its data-area
/// offset + 1; 0 when the data area's address space is used up (the caller
/// waits for room), or with `error` set when the cell could not be made
/// usable (mprotect's errno).
std::uint64_t allocate_data(ring_local& local, std::size_t bytes,
                            int& error) noexcept;

/// Gives back a cell from allocate_data(`bytes`), possibly of another
/// process. A cell that cannot be made usable here stays out of use (its
/// address space only is lost).
void free_data(ring_local& local, std::uint64_t cell,
               std::size_t bytes) noexcept;

inline std::byte* data_at(ring_local& local, std::uint64_t cell) noexcept {
  return local.data() + (cell - 1);
}

}  // namespace multiproc::inline v0::detail::channel
