// The participant registry: who is alive, as the kernel reports it.
//
// Every thread that takes a multiproc lock (and so every process, through
// the first such thread) claims a slot here and locks the slot's token, a
// process-shared robust pthread mutex, for the rest of its life. When that
// thread ends — its process killed, crashed, _exit, exec, or the thread
// alone returning — the kernel walks its robust list and marks the token
// FUTEX_OWNER_DIED. Anyone can then learn of the death with a trylock,
// without asking the process, and pid reuse cannot fool it: a token is a
// word in our memory, not a pid.
//
// Why one robust mutex per participant instead of robust locks: the
// kernel's robust list walk stops after 2,048 entries (ROBUST_LIST_LIMIT,
// spec/ipc.md §4.1), so a holder of more robust mutexes than that would
// leave the rest locked forever; and a pthread robust mutex refuses the
// release by another process that Python's Lock allows. Here each thread
// holds exactly one robust mutex, and a lock only names its holder's slot.
//
// A participant is named by a 29-bit id: the slot in the low 16 bits, the
// low 13 bits of the slot's generation above them. The generation changes
// whenever a slot changes hands, so an id of an ended participant never
// names its successor (unless the slot changed hands a multiple of 8,192
// times while the old id was still stored unobserved).
//
// DANGER — the process's own token: for mp::lock only the end of the
// holding *process* counts, and the process is represented by the token of
// the first thread that used a lock in it (in a fork child: the child's
// only thread, claimed at fork). If that thread ends before its process,
// the process reads as ended and its locks are taken over. The main thread
// is the usual first user; create one object from main() before handing
// locks to short-lived threads that would otherwise be first.
#pragma once

#include <cstddef>
#include <cstdint>

namespace multiproc::inline v0::detail::sync {

inline constexpr std::size_t kParticipantsOffset = 4096;
inline constexpr std::uint32_t kMaxParticipants = 65536;
inline constexpr std::size_t kParticipantBytes = 64;
inline constexpr std::size_t kParticipantsBytes =
    std::size_t{kMaxParticipants} * kParticipantBytes;

inline constexpr std::uint32_t kIdBits = 29;
inline constexpr std::uint32_t kIdMask = (1u << kIdBits) - 1;
inline constexpr std::uint32_t kNoParticipant = 0xFFFFFFFFu;

/// This process's id (its first lock-using thread's), claimed on first use.
/// Errors: std::system_error (EAGAIN) when all 65,536 slots are live;
/// those of arena().
std::uint32_t process_participant();

/// The calling thread's id, claimed on first use. Errors: as above.
std::uint32_t thread_participant();

/// Whether the participant `id` is still alive: false once its thread has
/// ended, whether or not anyone has noticed before. Cheap (a load and a
/// trylock); never blocks. Only for ids this arena handed out.
bool participant_alive(std::uint32_t id) noexcept;

/// In a fork child, in its only thread (fork_hooks.cpp): forget the
/// parent's ids and claim this process's own.
void claim_after_fork() noexcept;

}  // namespace multiproc::inline v0::detail::sync
