#include "sync/participants.hpp"

#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <mutex>
#include <new>
#include <system_error>

#include "sync/arena.hpp"

namespace multiproc::inline v0::detail::sync {
namespace {

struct participant_slot {
  pthread_mutex_t token;     // robust, process-shared; held for life
  std::uint32_t generation;  // bumped each time the slot changes hands
  std::int32_t pid;          // for a debugger's eyes only
};
static_assert(sizeof(participant_slot) <= kParticipantBytes);

constexpr std::uint32_t kSlotsPerChunk = kMaxParticipants / 256;
constexpr std::uint32_t kGenerationMask = (1u << (kIdBits - 16)) - 1;

std::atomic<std::uint32_t> g_process_id{kNoParticipant};
thread_local std::uint32_t t_thread_id = kNoParticipant;
// Serialises the process's first claim; replaced in a fork child.
std::mutex g_process_claim;

participant_slot& slot(std::uint32_t index) noexcept {
  return *reinterpret_cast<participant_slot*>(
      arena_if_mapped() + kParticipantsOffset + index * kParticipantBytes);
}

std::uint32_t make_id(std::uint32_t index, std::uint32_t generation) noexcept {
  return index | ((generation & kGenerationMask) << 16);
}

// Slots are set up a chunk at a time, on demand, so a program that uses a
// few locks touches 16 KiB of registry, not 4 MiB. A process that dies
// while setting a chunk up leaves it "being set" forever: it is skipped.
bool chunk_ready(std::uint32_t chunk) noexcept {
  auto* header = reinterpret_cast<arena_header*>(arena_if_mapped());
  std::atomic_ref<std::uint32_t> state(header->participant_chunks[chunk]);
  std::uint32_t seen = state.load(std::memory_order_acquire);
  if (seen == 2) return true;
  if (seen != 0 ||
      !state.compare_exchange_strong(seen, 1, std::memory_order_acq_rel)) {
    return state.load(std::memory_order_acquire) == 2;
  }
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  for (std::uint32_t i = 0; i < kSlotsPerChunk; ++i) {
    pthread_mutex_init(&slot(chunk * kSlotsPerChunk + i).token, &attr);
  }
  pthread_mutexattr_destroy(&attr);
  state.store(2, std::memory_order_release);
  return true;
}

// Takes the token of a slot nobody lives in: free, or left by the dead.
// EOWNERDEAD already made the caller the owner; consistent() keeps the
// token usable (without it the next unlock would make it unrecoverable).
bool take_token(participant_slot& s) noexcept {
  const int result = pthread_mutex_trylock(&s.token);
  if (result == EOWNERDEAD) pthread_mutex_consistent(&s.token);
  return result == 0 || result == EOWNERDEAD;
}

std::uint32_t generation_of(participant_slot& s) noexcept {
  return std::atomic_ref<std::uint32_t>(s.generation)
      .load(std::memory_order_acquire);
}

std::uint32_t bump_generation(participant_slot& s) noexcept {
  return std::atomic_ref<std::uint32_t>(s.generation)
             .fetch_add(1, std::memory_order_acq_rel) +
         1;
}

std::uint32_t claim() {
  (void)arena();
  auto* header = reinterpret_cast<arena_header*>(arena_if_mapped());
  std::atomic_ref<std::uint32_t> cursor(header->participant_cursor);
  // Round robin from a shared cursor, so a slot is reused as late as
  // possible (ids of the dead stay distinct for longer).
  for (std::uint32_t tries = 0; tries < kMaxParticipants; ++tries) {
    const std::uint32_t index =
        cursor.fetch_add(1, std::memory_order_relaxed) % kMaxParticipants;
    if (!chunk_ready(index / kSlotsPerChunk)) continue;
    participant_slot& s = slot(index);
    if (!take_token(s)) continue;
    const std::uint32_t generation = bump_generation(s);
    std::atomic_ref<std::int32_t>(s.pid).store(::getpid(),
                                               std::memory_order_relaxed);
    return make_id(index, generation);
  }
  throw std::system_error(EAGAIN, std::generic_category(),
                          "multiproc: too many live participants");
}

}  // namespace

std::uint32_t thread_participant() {
  if (t_thread_id == kNoParticipant) t_thread_id = claim();
  return t_thread_id;
}

std::uint32_t process_participant() {
  std::uint32_t id = g_process_id.load(std::memory_order_acquire);
  if (id != kNoParticipant) return id;
  std::lock_guard lock(g_process_claim);
  id = g_process_id.load(std::memory_order_acquire);
  if (id == kNoParticipant) {
    id = thread_participant();
    g_process_id.store(id, std::memory_order_release);
  }
  return id;
}

bool participant_alive(std::uint32_t id) noexcept {
  id &= kIdMask;
  if (id == g_process_id.load(std::memory_order_relaxed) || id == t_thread_id) {
    return true;
  }
  participant_slot& s = slot(id & 0xFFFFu);
  if ((generation_of(s) & kGenerationMask) != id >> 16) return false;
  const int result = pthread_mutex_trylock(&s.token);
  if (result == EBUSY) return true;  // its thread (or a checker) holds it
  if (result == EOWNERDEAD) pthread_mutex_consistent(&s.token);
  if (result == 0 || result == EOWNERDEAD) {
    // Ended. Change the generation before letting go, so that checkers
    // racing with us see the end too, from the generation alone.
    bump_generation(s);
    pthread_mutex_unlock(&s.token);
  }
  return false;
}

void claim_after_fork() noexcept {
  // The parent's ids name the parent's threads; this process is new.
  new (&g_process_claim) std::mutex;
  t_thread_id = kNoParticipant;
  g_process_id.store(kNoParticipant, std::memory_order_relaxed);
  try {
    g_process_id.store(thread_participant(), std::memory_order_release);
  } catch (...) {
    // Every slot is live: the first use in this process will throw.
  }
}

}  // namespace multiproc::inline v0::detail::sync
