#include "pool/process_worker.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <span>
#include <string>
#include <system_error>
#include <utility>

#include "launch/start_process.hpp"
#include "pool/initializer_bytes.hpp"
#include "pool/spawned_worker.hpp"
#include "pool/worker_main.hpp"
#include "pool/worker_standby.hpp"
#include "posix/io.hpp"
#include "posix/mapping.hpp"
#include "posix/pidfd.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail {

namespace {

// The slot page a spawned worker can map too: a memfd, passed to it.
unique_fd make_slot_page(unique_mapping& page) {
  unique_fd fd;
  int err = mapping::create_memfd("multiproc-pool-slots", fd);
  if (err == 0) err = io::truncate(fd.get(), sizeof(wire::slot_page));
  if (err == 0) {
    err = mapping::map_file(fd.get(), sizeof(wire::slot_page),
                            PROT_READ | PROT_WRITE, MAP_SHARED, page);
  }
  if (err != 0) {
    throw std::system_error(err, std::generic_category(), "memfd_create");
  }
  return fd;
}

}  // namespace

std::unique_ptr<process_worker> process_worker::spawn(worker_spawn_args args,
                                                      start_method method,
                                                      bool held) {
  unique_fd parent_end;
  unique_fd worker_end;
  if (int err = io::stream_socketpair(parent_end, worker_end)) {
    throw std::system_error(err, std::generic_category(), "socketpair");
  }
  unique_mapping page;
  unique_fd page_fd;
  if (method == start_method::fork) {
    if (int err =
            mapping::map_anonymous_shared(sizeof(wire::slot_page), page)) {
      throw std::system_error(err, std::generic_category(), "mmap");
    }
  } else {
    page_fd = make_slot_page(page);
  }
  std::unique_ptr<process_worker> w(new process_worker());
  w->page_ = static_cast<wire::slot_page*>(page.get());
  w->page_mapping_ = std::move(page);

  process_options options;
  options.daemon = true;  // terminated, not awaited, at program exit
  options.kill_on_parent_death = true;
  if (args.limits != nullptr) options.limits = *args.limits;
  options.start_method = method;
  const passed_fd passed[] = {{worker_end.get(), kSpawnedChannelFd},
                              {page_fd.get(), kSpawnedSlotPageFd}};
  std::span<const passed_fd> fds;
  if (method == start_method::fork) {
    worker_boot boot{worker_end.get(),
                     w->page_,
                     std::move(args.foreign_fds),
                     {},
                     args.max_tasks_per_child};
    boot.fresh_fork = true;
    if (args.initializer != nullptr && *args.initializer) {
      // The worker's copy of the pool's initializer, run in the worker.
      boot.initializer = [initializer = args.initializer] { (*initializer)(); };
    }
    boot.foreign_fds.push_back(parent_end.get());
    w->proc_.emplace(std::move(options), [boot] {
      int code = worker_main(boot);
      if (code != 0) multiproc::exit(code);
    });
  } else {
    // A fresh copy inherits no other fd, so it has no foreign ones.
    w->proc_.emplace(std::move(options), &run_spawned_worker, kSpawnedChannelFd,
                     kSpawnedSlotPageFd, args.max_tasks_per_child,
                     args.initializer != nullptr
                         ? encode_initializer_bytes(*args.initializer)
                         : std::vector<std::byte>{},
                     held);
    fds = passed;
  }
  // Python's pool workers are ForkPoolWorker-N, N from the process-wide
  // counter that names every process; ours are PoolWorker-N.
  const std::string generated = w->proc_->name();
  w->proc_->set_name("PoolWorker" + generated.substr(generated.find('-')));
  // Every worker starts with the user's mask, not its forking thread's: a
  // task's raise(SIGSEGV), alarm() and terminate()'s SIGTERM must work in a
  // replacement started by the dispatcher (all blocked) as in the first.
  launch_options launch{args.caller_outlives_child, &args.signal_mask};
  // A spawned worker leads its own group from its exec on: the parent
  // cannot setpgid a child that has already exec'd.
  launch.lead_process_group = method != start_method::fork;
  start_process(*w->proc_, launch, fds);
  w->pid_ = *w->proc_->pid();
  w->pidfd_ = w->proc_->sentinel();
  // A fork: see worker_main, both sides set it, so neither order leaves a
  // window in which a signal to the group would miss the worker.
  if (method == start_method::fork) sys::setpgid(w->pid_, w->pid_);
  sys::fcntl(parent_end.get(), F_SETFL, O_NONBLOCK);
  w->channel_ = std::move(parent_end);
  return w;
}

process_worker::~process_worker() = default;

void process_worker::queue_frame(wire::frame_kind kind, std::uint32_t slot,
                                 std::uint64_t entry,
                                 std::span<const std::byte> payload,
                                 std::int64_t timeout_ns) {
  wire::append_frame(out_, kind, slot, entry, payload.data(), payload.size(),
                     timeout_ns);
}

void process_worker::flush() noexcept {
  while (sent_ < out_.size()) {
    std::size_t n = 0;
    if (io::send_some(channel_.get(), std::span(out_).subspan(sent_),
                      MSG_NOSIGNAL | MSG_DONTWAIT, n) != 0) {
      // EAGAIN: the worker is busy; POLLOUT brings us back. EPIPE and the
      // like: it died; its death fd tells the dispatcher.
      return;
    }
    sent_ += n;
  }
  out_.clear();
  sent_ = 0;
}

void process_worker::receive(const frame_handler& on_frame) {
  constexpr std::size_t kChunk = std::size_t{256} * 1024;
  for (;;) {
    std::size_t at = in_.size();
    in_.resize(at + kChunk);
    std::size_t n = 0;
    const int err = io::recv_some(
        channel_.get(), std::span(in_).subspan(at, kChunk), MSG_DONTWAIT, n);
    in_.resize(at + n);
    if (err != 0) break;  // EAGAIN: all read; others: the death fd tells
    if (n == 0) {
      hung_up_ = true;
      break;
    }
  }
  std::size_t offset = 0;
  wire::frame_header header{};
  while (wire::whole_frame_at(in_, offset, header)) {
    const std::byte* payload = in_.data() + offset + sizeof header;
    offset += sizeof header + header.size;
    on_frame(header, payload);
  }
  in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(offset));
}

void process_worker::signal(int signo) noexcept {
  // The worker leads its own process group; it is not reaped before the
  // dispatcher handles its death, so the group id cannot have been reused.
  sys::kill(-pid_, signo);
  pidfd::send_signal(pidfd_, signo);
}

int process_worker::reap() {
  proc_->join();  // the death fd is readable: this reaps at once
  return proc_->exitcode().value_or(0);
}

namespace {

class process_backend final : public worker_backend {
 public:
  explicit process_backend(start_method method)
      : method_(method), standby_(method) {}

  std::unique_ptr<worker> spawn(worker_spawn_args args) override {
    if (method_ == start_method::fork) {
      return process_worker::spawn(std::move(args), method_);
    }
    // A pool that has lost a worker, or that retires them by design, is
    // likely to replace one again: keep the next one started ahead.
    const bool keep_standby = args.replacement || args.max_tasks_per_child != 0;
    std::unique_ptr<worker> w;
    if (args.replacement) w = standby_.take();
    if (!w) w = process_worker::spawn(args, method_);
    if (keep_standby) standby_.prepare(args);
    return w;
  }

  void retire() noexcept override { standby_.retire(); }

 private:
  start_method method_;
  worker_standby standby_;
};

}  // namespace

std::shared_ptr<worker_backend> process_worker_backend(start_method method) {
  return std::make_shared<process_backend>(method);
}

}  // namespace multiproc::inline v0::detail
