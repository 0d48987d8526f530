// Rank 0's MPI thread: the one thread of the client that calls MPI once the
// handshake is over (so MPI_THREAD_SERIALIZED suffices), for every
// mpi::pool of the world. It moves relay records (relay_records.hpp)
// between the pools' remote workers (remote_worker.hpp) and the agents:
// what a dispatcher posts goes out in one MPI_Isend per agent per round,
// its buffer kept until MPI_Test says done; what arrives is handed to the
// worker's link, whose eventfds the dispatcher polls as it polls a fork
// worker's socket and pidfd.
//
// Waiting: MPI has no fd to poll, so the thread polls MPI_Improbe, spins
// world_options::spin after the last activity, then sleeps 20 us doubling
// to 1 ms on a condition variable that a post() signals, so a submission
// wakes it at once (spec/scale-out.md §4.1, §5.2).
#pragma once

#include <mpi.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <unordered_map>
#include <vector>

#include "mpi/relay_records.hpp"
#include "mpi/sends.hpp"
#include "pool/wire.hpp"
#include "posix/unique_fd.hpp"

namespace multiproc::inline v0::detail::mpi {

/// What the MPI thread and a remote worker's dispatcher share about that
/// worker.
struct remote_link {
  /// Errors: std::system_error when an eventfd cannot be made.
  remote_link(int rank, std::uint32_t pool, std::uint32_t worker);

  const int rank;
  const std::uint32_t pool;
  const std::uint32_t worker;
  /// Readable when `arrived` has frames (the worker's channel()).
  unique_fd arrived_event;
  /// Readable once the agent reported the death (the worker's death_fd()).
  unique_fd death_event;

  std::mutex mutex;
  wire::receive_buffer arrived;  // frames not yet taken by the dispatcher
  bool died = false;
  int exitcode = 0;
  std::uint32_t unfinished_slots = 0;  // relay_op::died's arg
  /// relay_op::cancel_answered records so far; `answered` is notified at
  /// each, and at the death.
  std::uint64_t cancels_answered = 0;
  std::condition_variable answered;
};

class client_relay {
 public:
  /// Starts the thread. Errors: std::system_error for the thread.
  client_relay(MPI_Comm comm, int size, std::chrono::microseconds spin);
  /// stop().
  ~client_relay();
  /// Sends what is still posted, waits for every send, stops the thread;
  /// what is posted later is dropped. Idempotent; not from two threads.
  void stop();
  client_relay(const client_relay&) = delete;
  client_relay& operator=(const client_relay&) = delete;

  /// Routes records from the link's agent about its worker to it.
  void attach(const std::shared_ptr<remote_link>& link);
  void detach(const remote_link& link);
  /// Queues a record for `rank`; the thread sends it in its next round.
  void post(int rank, relay_op op, std::uint32_t pool, std::uint32_t worker,
            std::uint32_t arg, std::span<const std::byte> payload = {});
  /// A fresh pool number.
  std::uint32_t next_pool_number();

 private:
  void run();
  bool send_posted();
  bool receive_arrived();
  void handle_record(int rank, const record_header& header,
                     std::span<const std::byte> payload);

  MPI_Comm comm_;
  std::chrono::microseconds spin_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool sleeping_ = false;  // under mutex_
  bool stopping_ = false;  // under mutex_
  bool posted_ = false;    // under mutex_: some outbox is not empty
  std::vector<std::vector<std::byte>> outbox_;  // by rank, under mutex_
  std::unordered_map<std::uint64_t, std::shared_ptr<remote_link>>
      links_;                       // under mutex_
  std::uint32_t pool_numbers_ = 0;  // under mutex_

  // The thread's own.
  std::vector<in_flight_send> sends_;
  std::vector<std::byte> received_;
  std::thread thread_;
};

/// The world's relay, started by world's constructor on rank 0 with agents;
/// null without agents. Stopped by world's destructor before MPI_Finalize.
std::shared_ptr<client_relay> world_relay();
void start_world_relay(MPI_Comm comm, int size, std::chrono::microseconds spin);
void stop_world_relay();

}  // namespace multiproc::inline v0::detail::mpi
