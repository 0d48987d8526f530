// Reading and changing a slot's control word (ring_layout.hpp).
//
// The word stores the position minus the slot's index, so that memory as
// the memfd gives it (zeros) already reads as "slot i is free for position
// i": a ring of ten million slots costs nothing until it is used.
#pragma once

#include <cstdint>

#include "channel/ring_layout.hpp"

namespace multiproc::inline v0::detail::channel {

struct slot_view {
  slot* s;
  std::uint32_t index;  // the slot's index in the ring (mod 2^32)
  std::uint64_t raw;    // the control word as last read

  slot_ctl ctl() const noexcept {
    slot_ctl c = unpack(raw);
    c.seq += index;
    return c;
  }
  std::uint64_t word(slot_ctl c) const noexcept {
    c.seq -= index;
    return pack(c);
  }
  /// One CAS from what was read to `next`; on failure `raw` is re-read.
  bool change(slot_ctl next) noexcept {
    return u64_ref(s->ctl).compare_exchange_strong(raw, word(next));
  }
  void store(slot_ctl next) noexcept { u64_ref(s->ctl).store(word(next)); }
};

inline slot_view view(ring_local& local, std::uint64_t position) noexcept {
  slot& s = local.slot_at(position);
  const auto index =
      static_cast<std::uint32_t>(position % local.header().slots);
  return {&s, index, u64_ref(s.ctl).load()};
}

/// Whether `seq` (mod 2^32) names `position`.
inline bool names(std::uint32_t seq, std::uint64_t position) noexcept {
  return seq == static_cast<std::uint32_t>(position);
}

/// seq - position, as a signed distance.
inline std::int32_t distance(std::uint32_t seq,
                             std::uint64_t position) noexcept {
  return static_cast<std::int32_t>(seq - static_cast<std::uint32_t>(position));
}

}  // namespace multiproc::inline v0::detail::channel
