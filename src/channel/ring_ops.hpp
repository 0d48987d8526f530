// The steps a ring is made of, for the channels built on rings: the queue
// (ring.cpp) and the two ends of a pipe (connection.cpp). Each step is
// lock-free and death-safe on its own (ring_layout.hpp says why); what a
// channel adds is its own checks, messages and sides.
#pragma once

#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "channel/ring_layout.hpp"
#include "multiproc/detail/channel_ring.hpp"
#include "sync/futex_wait.hpp"

namespace multiproc::inline v0::detail::channel {

/// How long a put or get that found nothing to do keeps looking before it
/// sleeps (API.md: tens of µs at most). Catches the other side on another
/// CPU without a futex round trip (≈ 50 µs on this VM).
inline constexpr std::chrono::microseconds kSpin{20};

/// Maps a new ring. `track_holders`: this process enters its holders table
/// and fork children enter it too (queues, and the ring whose table holds
/// a pipe's sides); false for a ring whose sides are counted elsewhere.
/// Errors: std::system_error when the OS refuses the memory.
std::shared_ptr<ring_local> make_ring(const ring_options& options,
                                      bool track_holders);

enum class put_outcome { done, no_room };
enum class get_outcome { done, empty };

/// One attempt to copy `item` in as participant `me`; no_room when the
/// ring, its bytes or its data area are full.
put_outcome try_put(ring_local& l, std::span<const std::byte> item,
                    std::uint32_t me);
/// One attempt to take the oldest item; `read` may throw (the item stays).
get_outcome try_get(ring_local& l, item_reader read, void* context,
                    std::uint32_t me);
/// Whether an item is there for a get() to take now.
bool has_item(ring_local& l) noexcept;
/// Whether the oldest item looks ready: one load of the head and of its
/// slot, for spinning getters (a hint; try_get decides).
bool head_item_ready(ring_local& l) noexcept;

/// Wakes the getters if any sleep (the Dekker pair with sleep_unless: both
/// sides use seq_cst, so either the sleeper sees the change or the waker
/// sees the sleeper).
inline void wake_getters(ring_header& h) noexcept {
  if (u32_ref(h.get_waiters).load() == 0) return;
  u32_ref(h.put_seq).fetch_add(1);
  sync::wake(h.put_seq, INT_MAX);
}

inline void wake_putters(ring_header& h) noexcept {
  if (u32_ref(h.put_waiters).load() == 0) return;
  u32_ref(h.get_seq).fetch_add(1);
  sync::wake(h.get_seq, INT_MAX);
}

/// Keeps trying `attempt` for kSpin (or until the deadline); true if it
/// succeeded. Between attempts it pauses until `worth_trying` (one or two
/// loads of lines the other side writes) says an attempt may succeed, for
/// at most 32 pauses: a pause is ~60 ns on this VM's CPUs (AMD EPYC), so
/// trying only every 32 pauses (1.9 µs) left the other side's answer
/// unseen for ~1 µs each way of a ping-pong whose floor round trip is
/// ~0.45 µs.
template <class Attempt, class Probe>
bool spin(const std::optional<steady_deadline>& deadline, Attempt attempt,
          Probe worth_trying) {
  const auto now = std::chrono::steady_clock::now();
  auto until = now + kSpin;
  if (deadline && *deadline < until) until = *deadline;
  while (std::chrono::steady_clock::now() < until) {
    for (int i = 0; i < 32 && !worth_trying(); ++i) sync::cpu_relax();
    if (attempt()) return true;
  }
  return false;
}

/// Sleeps on `word` (registered in `waiters`) unless `attempt` succeeds
/// once registered. True if it did. Returns at the latest after one
/// liveness period (sync::kLivenessRecheck), so callers re-check deaths.
template <class Attempt>
bool sleep_unless(std::uint32_t& word, std::uint32_t& waiters,
                  const std::optional<steady_deadline>& deadline,
                  Attempt attempt) {
  const std::uint32_t seen = u32_ref(word).load();
  u32_ref(waiters).fetch_add(1);
  struct unregister {
    std::uint32_t& waiters;
    ~unregister() { u32_ref(waiters).fetch_sub(1); }
  } guard{waiters};
  if (attempt()) return true;
  (void)sync::sleep_on(word, seen, deadline);
  return false;
}

inline bool passed(const std::optional<steady_deadline>& deadline) {
  return deadline && *deadline <= std::chrono::steady_clock::now();
}

}  // namespace multiproc::inline v0::detail::channel
