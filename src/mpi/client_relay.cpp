#include "mpi/client_relay.hpp"

#include <algorithm>
#include <cstring>
#include <system_error>
#include <utility>

#include "mpi/byte_messages.hpp"
#include "mpi/poll_wait.hpp"
#include "mpi/protocol.hpp"
#include "posix/io.hpp"
#include "posix/library_thread.hpp"

namespace multiproc::inline v0::detail::mpi {
namespace {

using clock = std::chrono::steady_clock;
constexpr auto kFirstNap = std::chrono::microseconds(20);
constexpr auto kLongestNap = std::chrono::microseconds(1000);
// How long after a send rank 0's MPI thread spins for the answer.
constexpr auto kAnswerDue = std::chrono::microseconds(2000);

std::mutex world_relay_mutex;
std::shared_ptr<client_relay> the_world_relay;  // under world_relay_mutex

}  // namespace

remote_link::remote_link(int rank_, std::uint32_t pool_, std::uint32_t worker_)
    : rank(rank_), pool(pool_), worker(worker_) {
  if (int err = io::create_eventfd(arrived_event)) {
    throw std::system_error(err, std::generic_category(), "eventfd");
  }
  if (int err = io::create_eventfd(death_event)) {
    throw std::system_error(err, std::generic_category(), "eventfd");
  }
}

client_relay::client_relay(MPI_Comm comm, int size,
                           std::chrono::microseconds spin)
    : comm_(comm), spin_(spin), outbox_(static_cast<std::size_t>(size)) {
  thread_ = std::thread([this] { run(); });
}

client_relay::~client_relay() { stop(); }

void client_relay::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    wake_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void client_relay::attach(const std::shared_ptr<remote_link>& link) {
  std::lock_guard lock(mutex_);
  links_[worker_key(link->pool, link->worker)] = link;
}

void client_relay::detach(const remote_link& link) {
  std::lock_guard lock(mutex_);
  links_.erase(worker_key(link.pool, link.worker));
}

std::uint32_t client_relay::next_pool_number() {
  std::lock_guard lock(mutex_);
  return ++pool_numbers_;
}

void client_relay::post(int rank, relay_op op, std::uint32_t pool,
                        std::uint32_t worker, std::uint32_t arg,
                        std::span<const std::byte> payload) {
  std::lock_guard lock(mutex_);
  append_record(outbox_[static_cast<std::size_t>(rank)], op, pool, worker, arg,
                payload);
  posted_ = true;
  // Only a sleeping thread needs the signal: a spinning one looks again.
  if (sleeping_) wake_.notify_one();
}

// Sends every outbox as one message to its agent. Returns whether any went.
bool client_relay::send_posted() {
  std::vector<std::pair<int, std::vector<std::byte>>> batches;
  {
    std::lock_guard lock(mutex_);
    if (!posted_) return false;
    posted_ = false;
    for (std::size_t rank = 1; rank < outbox_.size(); ++rank) {
      if (outbox_[rank].empty()) continue;
      batches.emplace_back(static_cast<int>(rank), std::move(outbox_[rank]));
      outbox_[rank] = {};
    }
  }
  for (auto& [rank, bytes] : batches) {
    post_send(sends_, std::move(bytes), rank, kTagToAgent, comm_);
  }
  return !batches.empty();
}

bool client_relay::receive_arrived() {
  bool any = false;
  for (;;) {
    int flag = 0;
    MPI_Message message;
    MPI_Status status;
    MPI_Improbe(MPI_ANY_SOURCE, kTagToClient, comm_, &flag, &message, &status);
    if (flag == 0) return any;
    mrecv_bytes(message, status, received_);
    for_each_record(received_, [&](const record_header& header,
                                   std::span<const std::byte> payload) {
      handle_record(status.MPI_SOURCE, header, payload);
    });
    any = true;
  }
}

void client_relay::handle_record(int rank, const record_header& header,
                                 std::span<const std::byte> payload) {
  std::shared_ptr<remote_link> link;
  {
    std::lock_guard lock(mutex_);
    auto it = links_.find(worker_key(header.pool, header.worker));
    if (it == links_.end() || it->second->rank != rank) return;  // forgotten
    link = it->second;
  }
  std::lock_guard lock(link->mutex);
  if (link->died) return;  // nothing follows a death
  if (header.op == relay_op::frames_up) {
    link->arrived.insert(link->arrived.end(), payload.begin(), payload.end());
    io::eventfd_notify(link->arrived_event.get());
  } else if (header.op == relay_op::died) {
    std::int32_t code = 0;
    if (payload.size() == sizeof code) {
      std::memcpy(&code, payload.data(), sizeof code);
    }
    link->died = true;
    link->exitcode = code;
    link->unfinished_slots = header.arg;
    io::eventfd_notify(link->death_event.get());
    link->answered.notify_all();
  } else if (header.op == relay_op::cancel_answered) {
    ++link->cancels_answered;
    link->answered.notify_all();
  }
}

void client_relay::run() {
  block_all_signals_on_this_thread();
  use_exact_naps();
  auto spin_until = clock::now() + spin_;
  auto nap = kFirstNap;
  for (;;) {
    const bool sent = send_posted();
    bool worked = sent;
    worked = forget_finished_sends(sends_) || worked;
    worked = receive_arrived() || worked;
    if (worked) {
      // After a send, an answer is due: wait for it spinning, for longer
      // than any nap. If both sides napped while waiting for each other,
      // each message would land in the other's nap, and once round trips
      // exceed the spin window they would stay there (measured: np=2
      // round trips of 2.7 ms instead of 47 us, about half the runs).
      spin_until = clock::now() + (sent ? std::max(spin_, kAnswerDue) : spin_);
      nap = kFirstNap;
      continue;
    }
    std::unique_lock lock(mutex_);
    if (stopping_ && !posted_ && sends_.empty()) return;
    if (posted_) continue;
    if (clock::now() < spin_until) {
      // As the agents: spin, but let the workers and dispatchers run.
      lock.unlock();
      std::this_thread::yield();
      continue;
    }
    sleeping_ = true;
    wake_.wait_for(lock, nap, [this] { return posted_ || stopping_; });
    sleeping_ = false;
    nap = std::min(nap * 2, kLongestNap);
  }
}

std::shared_ptr<client_relay> world_relay() {
  std::lock_guard lock(world_relay_mutex);
  return the_world_relay;
}

void start_world_relay(MPI_Comm comm, int size,
                       std::chrono::microseconds spin) {
  auto relay = std::make_shared<client_relay>(comm, size, spin);
  std::lock_guard lock(world_relay_mutex);
  the_world_relay = std::move(relay);
}

void stop_world_relay() {
  std::shared_ptr<client_relay> relay;
  {
    std::lock_guard lock(world_relay_mutex);
    relay.swap(the_world_relay);
  }
  // Pools still alive keep the object; the thread stops here, before
  // MPI_Finalize.
  if (relay) relay->stop();
}

}  // namespace multiproc::inline v0::detail::mpi
