// The one 32-bit word behind mp::lock and mp::rlock, and how it is taken.
//
//   bit 31  locked
//   bit 30  someone may be asleep on the word (release must wake)
//   bit 29  the current hold was taken over from a holder that ended
//   0..28   the holder's participant id (participants.hpp)
//
// The holder is in the same word as the locked bit, so a holder that dies
// a nanosecond after taking the lock is already named: there is no moment
// at which the lock is held by nobody known. A free word is 0.
//
// Taking over: an acquirer that finds the word held by a participant that
// is no longer alive swaps in its own id with bit 29 in one CAS, so
// exactly one acquirer takes a dead holder's lock over. Sleepers look
// again every kLivenessRecheck, which is what bounds how late a death is
// noticed by someone already waiting; a fresh acquirer notices at once.
#pragma once

#include <cstdint>
#include <optional>

#include "multiproc/detail/deadline.hpp"

namespace multiproc::inline v0::detail::sync::lock_word {

inline constexpr std::uint32_t kLocked = 1u << 31;
inline constexpr std::uint32_t kWaiters = 1u << 30;
inline constexpr std::uint32_t kTakenOver = 1u << 29;
inline constexpr std::uint32_t kHolderMask = kTakenOver - 1;

enum class outcome { acquired, taken_over, busy };

/// One attempt for `me`: free → acquired; held by the dead → taken_over;
/// else busy. Never sleeps.
outcome try_once(std::uint32_t& word, std::uint32_t me) noexcept;

/// Spins briefly, then sleeps, until acquired, taken over, or `deadline`
/// (empty: no limit) has passed (busy).
outcome acquire(std::uint32_t& word, std::uint32_t me,
                const std::optional<steady_deadline>& deadline) noexcept;

/// Frees the word whoever holds it; false if it was not held.
bool release(std::uint32_t& word) noexcept;

/// The word now (acquire order).
std::uint32_t peek(const std::uint32_t& word) noexcept;

/// Held, by a participant still alive.
bool held(const std::uint32_t& word) noexcept;

}  // namespace multiproc::inline v0::detail::sync::lock_word
