#include "mpi/remote_worker.hpp"

#include <poll.h>

#include <chrono>
#include <cstring>
#include <mutex>
#include <span>
#include <utility>

#include "mpi/local_workers.hpp"
#include "posix/io.hpp"
#include "posix/pidfd.hpp"

namespace multiproc::inline v0::detail::mpi {
namespace {

using clock = std::chrono::steady_clock;
constexpr auto kCancelPatience = std::chrono::seconds(10);

class remote_worker final : public worker {
 public:
  remote_worker(std::shared_ptr<client_relay> relay,
                std::shared_ptr<remote_link> link)
      : relay_(std::move(relay)), link_(std::move(link)) {}
  ~remote_worker() override {
    relay_->detach(*link_);
    relay_->post(link_->rank, relay_op::forget, link_->pool, link_->worker, 0);
  }
  remote_worker(const remote_worker&) = delete;
  remote_worker& operator=(const remote_worker&) = delete;

  int channel() const noexcept override { return link_->arrived_event.get(); }
  int death_fd() const noexcept override { return link_->death_event.get(); }
  wire::slot& slot(std::uint32_t index) noexcept override {
    return mirror_->slots[index];
  }
  // Passes the cancel to the agent, which drops the task or kills the
  // worker running it (again, after a kill's signal), and waits, under the
  // pool's lock, for its answer: one round trip, in which the dispatcher
  // waits too. The agent answers every cancel, so the patience only
  // matters if rank 0's relay stops meanwhile (the world ending); a dead
  // rank ends the whole job.
  void settle_cancel(std::uint32_t index) noexcept override {
    if (!post_noexcept(relay_op::cancel, index)) return;
    ++cancels_posted_;
    std::unique_lock lock(link_->mutex);
    link_->answered.wait_for(lock, kCancelPatience, [this] {
      return link_->died || link_->cancels_answered >= cancels_posted_;
    });
  }

  void queue_frame(wire::frame_kind kind, std::uint32_t slot,
                   std::uint64_t entry, std::span<const std::byte> payload,
                   std::int64_t timeout_ns) override {
    wire::append_frame(out_, kind, slot, entry, payload.data(), payload.size(),
                       timeout_ns);
  }
  // Everything goes to the MPI thread at once (it holds no credit of its
  // own: the dispatcher's per-worker depth is the limit), so nothing stays
  // unsent here.
  void flush() noexcept override {
    if (out_.empty()) return;
    try {
      relay_->post(link_->rank, relay_op::frames_down, link_->pool,
                   link_->worker, 0, out_);
      out_.clear();
    } catch (...) {
      // bad_alloc: kept for the next flush.
    }
  }
  bool has_unsent() const noexcept override { return false; }

  void receive(const frame_handler& on_frame) override {
    io::eventfd_drain(link_->arrived_event.get());
    {
      std::lock_guard lock(link_->mutex);
      in_.insert(in_.end(), link_->arrived.begin(), link_->arrived.end());
      link_->arrived.clear();
    }
    std::size_t offset = 0;
    wire::frame_header header{};
    while (wire::whole_frame_at(in_, offset, header)) {
      const std::byte* payload = in_.data() + offset + sizeof header;
      offset += sizeof header + header.size;
      if (header.kind == wire::frame_kind::started &&
          header.slot < wire::kSlotsPerWorker) {
        mark_started(header.slot);
      }
      on_frame(header, payload);
    }
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(offset));
  }
  bool hung_up() const noexcept override { return false; }

  void signal(int signo) noexcept override {
    post_noexcept(relay_op::signal, static_cast<std::uint32_t>(signo));
  }

  // The death fd is readable (or, when a failed start kills us at once,
  // soon will be): the agent's report is in.
  int reap() override {
    pollfd fd{link_->death_event.get(), POLLIN, 0};
    int ready = 0;
    while (!pidfd::has_ended(fd.fd)) {
      pidfd::wait_readable(std::span(&fd, 1), std::nullopt, ready);
    }
    std::lock_guard lock(link_->mutex);
    for (std::uint32_t index = 0; index < wire::kSlotsPerWorker; ++index) {
      if ((link_->unfinished_slots >> index & 1U) != 0) mark_started(index);
    }
    return link_->exitcode;
  }

 private:
  // The task in `index` runs on the agent: a cancel must now kill it, and
  // a death fails it rather than requeueing it.
  void mark_started(std::uint32_t index) noexcept {
    wire::slot& s = mirror_->slots[index];
    std::uint32_t expected = wire::slot_queued;
    if (s.state.compare_exchange_strong(expected, wire::slot_running,
                                        std::memory_order_acq_rel)) {
      s.started_ns.store(clock::now().time_since_epoch().count(),
                         std::memory_order_relaxed);
    }
  }

  bool post_noexcept(relay_op op, std::uint32_t arg) noexcept {
    try {
      relay_->post(link_->rank, op, link_->pool, link_->worker, arg);
      return true;
    } catch (...) {
      // bad_alloc: the worker then dies of its own or at its pool's end.
      return false;
    }
  }

  std::shared_ptr<client_relay> relay_;
  std::shared_ptr<remote_link> link_;
  std::unique_ptr<wire::slot_page> mirror_ =
      std::make_unique<wire::slot_page>();
  std::vector<std::byte> out_;
  wire::receive_buffer in_;
  // Cancels sent to the agent, which answers them in order.
  std::uint64_t cancels_posted_ = 0;
};

// How many workers each host has now, shared with the workers it placed.
struct host_counts {
  std::mutex mutex;
  std::vector<remote_placement::host> hosts;
  std::vector<unsigned> live;
};

// A worker that gives its place back when it goes.
class placed_worker final : public worker {
 public:
  placed_worker(std::unique_ptr<worker> inner,
                std::shared_ptr<host_counts> counts, std::size_t host)
      : inner_(std::move(inner)), counts_(std::move(counts)), host_(host) {}
  ~placed_worker() override {
    std::lock_guard lock(counts_->mutex);
    --counts_->live[host_];
  }
  placed_worker(const placed_worker&) = delete;
  placed_worker& operator=(const placed_worker&) = delete;

  int channel() const noexcept override { return inner_->channel(); }
  int death_fd() const noexcept override { return inner_->death_fd(); }
  wire::slot& slot(std::uint32_t index) noexcept override {
    return inner_->slot(index);
  }
  void settle_cancel(std::uint32_t index) noexcept override {
    inner_->settle_cancel(index);
  }
  void queue_frame(wire::frame_kind kind, std::uint32_t slot,
                   std::uint64_t entry, std::span<const std::byte> payload,
                   std::int64_t timeout_ns) override {
    inner_->queue_frame(kind, slot, entry, payload, timeout_ns);
  }
  void flush() noexcept override { inner_->flush(); }
  bool has_unsent() const noexcept override { return inner_->has_unsent(); }
  void receive(const frame_handler& on_frame) override {
    inner_->receive(on_frame);
  }
  bool hung_up() const noexcept override { return inner_->hung_up(); }
  void signal(int signo) noexcept override { inner_->signal(signo); }
  int reap() override { return inner_->reap(); }

 private:
  std::unique_ptr<worker> inner_;
  std::shared_ptr<host_counts> counts_;
  std::size_t host_;
};

class remote_backend final : public worker_backend {
 public:
  remote_backend(std::shared_ptr<client_relay> relay,
                 std::vector<remote_placement::host> hosts,
                 std::vector<std::byte> initializer,
                 unsigned max_tasks_per_child)
      : relay_(std::move(relay)),
        counts_(std::make_shared<host_counts>()),
        initializer_(std::move(initializer)),
        max_tasks_per_child_(max_tasks_per_child),
        pool_(relay_->next_pool_number()),
        local_(local_worker_backend()) {
    counts_->live.assign(hosts.size(), 0);
    counts_->hosts = std::move(hosts);
  }

  std::unique_ptr<worker> spawn(worker_spawn_args args) override {
    const std::size_t host = take_place();
    try {
      const int rank = counts_->hosts[host].rank;
      std::unique_ptr<worker> inner;
      if (rank == 0) {
        inner = local_->spawn(std::move(args));
      } else {
        inner = spawn_remote(rank, args.replacement);
      }
      return std::make_unique<placed_worker>(std::move(inner), counts_, host);
    } catch (...) {
      std::lock_guard lock(counts_->mutex);
      --counts_->live[host];
      throw;
    }
  }

  void retire() noexcept override {
    local_->retire();
    for (const remote_placement::host& host : counts_->hosts) {
      if (host.rank == 0 || host.processes == 0) continue;
      try {
        relay_->post(host.rank, relay_op::pool_ended, pool_, 0, 0);
      } catch (...) {
        // bad_alloc: the agent keeps its standby until the world ends.
      }
    }
  }

 private:
  // The host with the most room left, relative to its share; counted now.
  std::size_t take_place() {
    std::lock_guard lock(counts_->mutex);
    std::size_t best = 0;
    double best_room = -1;
    for (std::size_t i = 0; i < counts_->hosts.size(); ++i) {
      const unsigned share = counts_->hosts[i].processes;
      if (share == 0 || counts_->live[i] >= share) continue;
      const double room = 1.0 - static_cast<double>(counts_->live[i]) / share;
      if (room > best_room) {
        best_room = room;
        best = i;
      }
    }
    ++counts_->live[best];
    return best;
  }

  std::unique_ptr<worker> spawn_remote(int rank, bool replacement) {
    auto link = std::make_shared<remote_link>(rank, pool_, ++workers_made_);
    relay_->attach(link);
    auto w = std::make_unique<remote_worker>(relay_, link);
    relay_->post(rank, relay_op::spawn, pool_, link->worker,
                 max_tasks_per_child_,
                 encode_spawn_payload(replacement, initializer_));
    return w;
  }

  std::shared_ptr<client_relay> relay_;
  std::shared_ptr<host_counts> counts_;
  std::vector<std::byte> initializer_;
  unsigned max_tasks_per_child_;
  std::uint32_t pool_;
  std::uint32_t workers_made_ = 0;
  std::shared_ptr<worker_backend> local_;  // rank 0's own workers
};

}  // namespace

std::shared_ptr<worker_backend> make_remote_backend(
    std::shared_ptr<client_relay> relay,
    std::vector<remote_placement::host> hosts,
    std::vector<std::byte> initializer, unsigned max_tasks_per_child) {
  return std::make_shared<remote_backend>(std::move(relay), std::move(hosts),
                                          std::move(initializer),
                                          max_tasks_per_child);
}

}  // namespace multiproc::inline v0::detail::mpi
