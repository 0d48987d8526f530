#include "mpi/agent_serve.hpp"

#include <poll.h>
#include <signal.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "mpi/byte_messages.hpp"
#include "mpi/local_workers.hpp"
#include "mpi/poll_wait.hpp"
#include "mpi/protocol.hpp"
#include "mpi/relay_records.hpp"
#include "mpi/sends.hpp"
#include "multiproc/detail/remote_call.hpp"
#include "pool/initializer_bytes.hpp"
#include "pool/wire.hpp"
#include "pool/worker_backend.hpp"
#include "posix/library_thread.hpp"
#include "posix/pidfd.hpp"

namespace multiproc::inline v0::detail::mpi {
namespace {

using clock = std::chrono::steady_clock;
constexpr auto kFirstNap = std::chrono::microseconds(20);
constexpr auto kLongestNap = std::chrono::microseconds(1000);

bool is_result(wire::frame_kind kind) {
  return kind == wire::frame_kind::value ||
         kind == wire::frame_kind::exception ||
         kind == wire::frame_kind::skipped ||
         kind == wire::frame_kind::timed_out;
}

// One mpi::pool as this agent hosts it: from its first spawn here until
// rank 0 says it has ended (relay_op::pool_ended).
struct hosted_pool {
  multiproc::pool_initializer initializer;  // what each worker runs first
  std::shared_ptr<worker_backend> backend;  // this pool's workers' source
};

// One remote worker's local process.
struct hosted_worker {
  std::unique_ptr<worker> proc;  // null once dead (or never started)
  std::uint32_t pool = 0;
  // Bit per slot: a task was passed on and its result not yet sent up.
  std::uint32_t awaiting = 0;
};

class agent_server {
 public:
  agent_server(MPI_Comm comm, int rank, std::chrono::microseconds spin,
               std::vector<std::byte> client_modules)
      : comm_(comm),
        rank_(rank),
        spin_(spin),
        client_modules_(std::move(client_modules)) {}

  void run() {
    use_exact_naps();
    auto spin_until = clock::now() + spin_;
    auto nap = kFirstNap;
    for (;;) {
      bool worked = receive_from_client();
      if (stopping_) break;
      worked = poll_workers(clock::now()) || worked;
      worked = send_up() || worked;
      worked = forget_finished_sends(sends_) || worked;
      if (worked) {
        spin_until = clock::now() + spin_;
        nap = kFirstNap;
        continue;
      }
      if (clock::now() < spin_until) {
        // Spinning, but giving the core to whoever wants it: on a box with
        // fewer cores than ranks, spinners that do not yield starve the
        // workers (np=2 on 2 cores: 2.8 ms round trips instead of 40 us).
        std::this_thread::yield();
        continue;
      }
      // Asleep in poll(): a worker's frame or death wakes us at once;
      // MPI, which has no fd, is looked at again after the nap.
      if (poll_workers(clock::now() + nap)) {
        spin_until = clock::now() + spin_;
        nap = kFirstNap;
      } else {
        nap = std::min(nap * 2, kLongestNap);
      }
    }
    shut_down();
  }

 private:
  // --- from rank 0 -----------------------------------------------------

  bool receive_from_client() {
    bool any = false;
    for (;;) {
      int flag = 0;
      MPI_Message message;
      MPI_Status status;
      MPI_Improbe(0, MPI_ANY_TAG, comm_, &flag, &message, &status);
      if (flag == 0) return any;
      mrecv_bytes(message, status, received_);
      any = true;
      if (status.MPI_TAG == kTagStop) {
        stopping_ = true;
        return any;
      }
      if (status.MPI_TAG != kTagToAgent) continue;
      for_each_record(received_, [this](const record_header& header,
                                        std::span<const std::byte> payload) {
        handle_record(header, payload);
      });
    }
  }

  void handle_record(const record_header& header,
                     std::span<const std::byte> payload) {
    const std::uint64_t key = worker_key(header.pool, header.worker);
    if (header.op == relay_op::spawn) {
      spawn(header, payload);
      return;
    }
    if (header.op == relay_op::pool_ended) {
      end_pool(header.pool);
      return;
    }
    auto it = workers_.find(key);
    if (header.op == relay_op::cancel) {
      // Answered whatever became of the worker: rank 0 waits for it.
      if (it != workers_.end() && it->second.proc &&
          header.arg < wire::kSlotsPerWorker) {
        cancel(it->second, header.arg);
      }
      append_record(up_, relay_op::cancel_answered, header.pool, header.worker,
                    header.arg);
      return;
    }
    if (it == workers_.end()) return;
    hosted_worker& w = it->second;
    switch (header.op) {
      case relay_op::frames_down:
        if (w.proc) pass_frames(w, payload);
        break;
      case relay_op::signal:
        if (w.proc) w.proc->signal(static_cast<int>(header.arg));
        break;
      case relay_op::forget:
        if (w.proc) {
          // Rank 0 forgets only a worker whose death it heard of; this
          // cannot be, but must not leave a process behind.
          w.proc->signal(SIGKILL);
          w.proc->reap();
        }
        workers_.erase(it);
        break;
      default:
        break;
    }
  }

  void spawn(const record_header& header, std::span<const std::byte> payload) {
    const spawn_payload asked = decode_spawn_payload(payload);
    auto [pool_it, fresh] = pools_.try_emplace(header.pool);
    hosted_pool& pool = pool_it->second;
    if (fresh) {
      // Run in each worker, which resolves rank 0's code names itself
      // (local_workers.hpp).
      pool.initializer = local_worker_initializer(
          rank_, client_modules_,
          std::vector<std::byte>(asked.initializer.begin(),
                                 asked.initializer.end()));
      pool.backend = local_worker_backend();
    }
    hosted_worker& w = workers_[worker_key(header.pool, header.worker)];
    w.pool = header.pool;
    worker_spawn_args args{
        &pool.initializer, header.arg, signal_mask_of_this_thread(), true, {}};
    args.replacement = asked.replacement;
    try {
      w.proc = pool.backend->spawn(std::move(args));
    } catch (const std::exception&) {
      // The OS refused: rank 0 hears of a worker that died at once (exit
      // code 1, as a worker that cannot start), and tries again.
      report_death(header.pool, header.worker, 0, 1);
    }
  }

  // Its dispatcher has ended, after every worker's death (whose records
  // came first): nothing more will be started for it here.
  void end_pool(std::uint32_t pool) {
    auto it = pools_.find(pool);
    if (it == pools_.end()) return;
    it->second.backend->retire();
    pools_.erase(it);
  }

  void pass_frames(hosted_worker& w, std::span<const std::byte> frames) {
    std::size_t at = 0;
    wire::frame_header header{};
    while (frames.size() - at >= sizeof header) {
      std::memcpy(&header, frames.data() + at, sizeof header);
      at += sizeof header;
      if (frames.size() - at < header.size) return;
      const auto payload = frames.subspan(at, header.size);
      at += header.size;
      if ((header.kind == wire::frame_kind::task ||
           header.kind == wire::frame_kind::task_measured) &&
          header.slot < wire::kSlotsPerWorker) {
        // As the dispatcher does before it sends a task (wire.hpp).
        wire::slot& s = w.proc->slot(header.slot);
        s.started_ns.store(0, std::memory_order_relaxed);
        s.state.store(wire::slot_queued, std::memory_order_release);
        w.awaiting |= 1U << header.slot;
      }
      w.proc->queue_frame(header.kind, header.slot, header.entry, payload,
                          header.timeout_ns);
    }
    w.proc->flush();
  }

  void cancel(hosted_worker& w, std::uint32_t index) {
    std::uint32_t expected = wire::slot_queued;
    if (w.proc->slot(index).state.compare_exchange_strong(
            expected, wire::slot_cancelled, std::memory_order_acq_rel)) {
      return;  // the worker skips it and says so
    }
    // Started meanwhile: stop it the only way there is, claiming the slot
    // first so that the worker cannot start its next task into the kill
    // (pool/wire.hpp). (Finished: its result is on the way and rank 0
    // drops it.)
    if (expected == wire::slot_running &&
        w.proc->slot(index).state.compare_exchange_strong(
            expected, wire::slot_kill_pending, std::memory_order_acq_rel)) {
      w.proc->signal(SIGKILL);
    }
  }

  // --- from the workers ------------------------------------------------

  // Waits for a worker's event until `until` (now: just looks).
  bool poll_workers(clock::time_point until) {
    fds_.clear();
    keys_.clear();
    for (auto& [key, w] : workers_) {
      if (!w.proc) continue;
      short events = POLLIN;
      if (w.proc->has_unsent()) events |= POLLOUT;
      fds_.push_back({w.proc->hung_up() ? -1 : w.proc->channel(), events, 0});
      fds_.push_back({w.proc->death_fd(), POLLIN, 0});
      keys_.push_back(key);
    }
    if (fds_.empty()) {
      if (until > clock::now()) std::this_thread::sleep_until(until);
      return false;
    }
    int ready = 0;
    pidfd::wait_readable(fds_, until, ready);
    if (ready <= 0) return false;
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      hosted_worker& w = workers_[keys_[i]];
      const short channel = fds_[2 * i].revents;
      if ((channel & POLLOUT) != 0) w.proc->flush();
      if ((channel & ~POLLOUT) != 0) collect(keys_[i], w);
      if (fds_[2 * i + 1].revents != 0) {
        collect(keys_[i], w);  // every frame it wrote before dying
        const int code = w.proc->reap();
        std::uint32_t started = 0;
        for (std::uint32_t slot = 0; slot < wire::kSlotsPerWorker; ++slot) {
          if ((w.awaiting >> slot & 1U) == 0) continue;
          const auto state =
              w.proc->slot(slot).state.load(std::memory_order_acquire);
          if (state == wire::slot_running || state == wire::slot_finished ||
              state == wire::slot_kill_pending) {
            started |= 1U << slot;
          }
        }
        w.proc.reset();
        report_death(static_cast<std::uint32_t>(keys_[i] >> 32),
                     static_cast<std::uint32_t>(keys_[i]), started, code);
      }
    }
    return true;
  }

  // Sends up what the worker has written.
  void collect(std::uint64_t key, hosted_worker& w) {
    frames_.clear();
    w.proc->receive(
        [&](const wire::frame_header& header, const std::byte* payload) {
          if (is_result(header.kind) && header.slot < wire::kSlotsPerWorker) {
            w.awaiting &= ~(1U << header.slot);
          }
          wire::append_frame(frames_, header.kind, header.slot, header.entry,
                             payload, header.size, header.timeout_ns);
        });
    if (frames_.empty()) return;
    append_record(up_, relay_op::frames_up,
                  static_cast<std::uint32_t>(key >> 32),
                  static_cast<std::uint32_t>(key), 0, frames_);
  }

  void report_death(std::uint32_t pool, std::uint32_t worker,
                    std::uint32_t started, int code) {
    const std::int32_t exitcode = code;
    append_record(up_, relay_op::died, pool, worker, started,
                  std::as_bytes(std::span(&exitcode, 1)));
  }

  // --- to rank 0 -------------------------------------------------------

  bool send_up() {
    if (up_.empty()) return false;
    post_send(sends_, std::move(up_), 0, kTagToClient, comm_);
    up_ = {};
    return true;
  }

  // Rank 0's world has ended: no worker may outlive its agent.
  void shut_down() {
    for (auto& [key, w] : workers_) {
      if (w.proc) w.proc->signal(SIGKILL);
    }
    for (auto& [key, w] : workers_) {
      if (w.proc) w.proc->reap();
    }
    workers_.clear();
    for (auto& [number, pool] : pools_) pool.backend->retire();
    pools_.clear();
    // Rank 0 no longer listens: what it did not take is withdrawn.
    for (auto& send : sends_) {
      int done = 0;
      MPI_Test(&send.request, &done, MPI_STATUS_IGNORE);
      if (done == 0) {
        MPI_Cancel(&send.request);
        MPI_Request_free(&send.request);
      }
    }
    sends_.clear();
  }

  MPI_Comm comm_;
  int rank_;
  std::chrono::microseconds spin_;
  std::vector<std::byte> client_modules_;  // rank 0's table, for the workers
  bool stopping_ = false;
  std::map<std::uint64_t, hosted_worker> workers_;
  std::unordered_map<std::uint32_t, hosted_pool> pools_;
  std::vector<std::byte> received_;
  std::vector<std::byte> frames_;
  std::vector<std::byte> up_;
  std::vector<in_flight_send> sends_;
  std::vector<pollfd> fds_;
  std::vector<std::uint64_t> keys_;
};

}  // namespace

void serve_agent(MPI_Comm comm, int rank, std::chrono::microseconds spin,
                 std::vector<std::byte> client_modules) {
  agent_server(comm, rank, spin, std::move(client_modules)).run();
}

}  // namespace multiproc::inline v0::detail::mpi
