// What travels between rank 0's remote workers and the agents that host
// them: batches of records, each a fixed header and a payload, many per MPI
// message (one message per agent per round of the sender's loop: batching
// both ways is what makes tiny tasks cheap, spec/scale-out.md §4.2).
//
// A remote worker is named by (pool, worker): rank 0 numbers the pools of
// the world and the workers of each pool, and never reuses a number, so a
// late record for a worker that has died names nobody and is dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

namespace multiproc::inline v0::detail::mpi {

enum class relay_op : std::uint32_t {
  // Rank 0 -> agent.
  /// Start a local worker. arg: max_tasks_per_child; payload: see
  /// spawn_payload below.
  spawn = 1,
  /// Payload: wire.hpp frames for the worker, in order.
  frames_down = 2,
  /// The dispatcher cancelled the task in slot `arg`: drop it if it has
  /// not started, else kill the worker (API.md: cancel stops a running
  /// task); then answer with cancel_answered.
  cancel = 3,
  /// Send signal `arg` to the worker (terminate(), a timeout's kill).
  signal = 4,
  /// Rank 0 is done with a dead worker: forget it.
  forget = 5,
  /// The pool will start no more workers here (its dispatcher has ended):
  /// drop the one started ahead, if any, and what the agent keeps for the
  /// pool. worker: unused.
  pool_ended = 8,

  // Agent -> rank 0.
  /// Payload: wire.hpp frames from the worker, in order.
  frames_up = 6,
  /// The worker has ended, after every frame it sent. arg: the slots whose
  /// tasks had started and not delivered a result (bit per slot); payload:
  /// the exit code (std::int32_t; negative: the signal).
  died = 7,
  /// The agent has acted on a cancel for slot `arg`: dropped the task, or
  /// killed its worker, or found it finished (its result may still follow;
  /// rank 0 drops it, the cancel having claimed the outcome).
  cancel_answered = 9,
};

struct record_header {
  relay_op op;
  std::uint32_t pool;
  std::uint32_t worker;
  std::uint32_t arg;
  std::uint64_t size;  // payload bytes that follow
};
static_assert(sizeof(record_header) == 24);

/// spawn's payload: one byte, 1 when the worker takes the place of one
/// that ended (worker_spawn_args::replacement: the agent then keeps the
/// next one started ahead), else 0; then the pool's initializer as
/// encode_initializer_bytes() wrote it (pool/initializer_bytes.hpp), its
/// code in rank 0's numbering, empty for none.
struct spawn_payload {
  bool replacement = false;
  std::span<const std::byte> initializer;
};

inline std::vector<std::byte> encode_spawn_payload(
    bool replacement, std::span<const std::byte> initializer) {
  std::vector<std::byte> bytes;
  bytes.reserve(1 + initializer.size());
  bytes.push_back(std::byte{replacement ? std::uint8_t{1} : std::uint8_t{0}});
  bytes.insert(bytes.end(), initializer.begin(), initializer.end());
  return bytes;
}

/// Reads what encode_spawn_payload wrote; an empty payload is a first
/// worker with no initializer.
inline spawn_payload decode_spawn_payload(std::span<const std::byte> bytes) {
  if (bytes.empty()) return {};
  return {bytes[0] != std::byte{0}, bytes.subspan(1)};
}

/// Appends a record whose payload is `payload`.
inline void append_record(std::vector<std::byte>& out, relay_op op,
                          std::uint32_t pool, std::uint32_t worker,
                          std::uint32_t arg,
                          std::span<const std::byte> payload = {}) {
  const record_header header{op, pool, worker, arg, payload.size()};
  const std::size_t at = out.size();
  out.resize(at + sizeof header + payload.size());
  std::memcpy(out.data() + at, &header, sizeof header);
  if (!payload.empty()) {
    std::memcpy(out.data() + at + sizeof header, payload.data(),
                payload.size());
  }
}

/// Calls `on_record(header, payload)` for each whole record of a batch; a
/// truncated tail (a corrupt message) is ignored.
template <class OnRecord>
void for_each_record(std::span<const std::byte> batch, OnRecord&& on_record) {
  std::size_t at = 0;
  record_header header{};
  while (batch.size() - at >= sizeof header) {
    std::memcpy(&header, batch.data() + at, sizeof header);
    at += sizeof header;
    if (batch.size() - at < header.size) return;
    on_record(header, batch.subspan(at, header.size));
    at += header.size;
  }
}

/// One remote worker's name as a single key.
inline std::uint64_t worker_key(std::uint32_t pool, std::uint32_t worker) {
  return (std::uint64_t{pool} << 32) | worker;
}

}  // namespace multiproc::inline v0::detail::mpi
