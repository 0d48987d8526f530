#include "pool/fork_worker.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

#include "launch/start_process.hpp"
#include "pool/worker_main.hpp"
#include "posix/io.hpp"
#include "posix/mapping.hpp"
#include "posix/pidfd.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail {

std::unique_ptr<fork_worker> fork_worker::spawn(worker_spawn_args args) {
  unique_fd parent_end;
  unique_fd worker_end;
  if (int err = io::stream_socketpair(parent_end, worker_end)) {
    throw std::system_error(err, std::generic_category(), "socketpair");
  }
  unique_mapping page;
  if (int err = mapping::map_anonymous_shared(sizeof(wire::slot_page), page)) {
    throw std::system_error(err, std::generic_category(), "mmap");
  }
  std::unique_ptr<fork_worker> w(new fork_worker());
  w->page_ = static_cast<wire::slot_page*>(page.get());
  w->page_mapping_ = std::move(page);

  worker_boot boot{worker_end.get(), w->page_, std::move(args.foreign_fds),
                   args.initializer, args.max_tasks_per_child};
  boot.foreign_fds.push_back(parent_end.get());
  process_options options;
  options.daemon = true;  // terminated, not awaited, at program exit
  options.kill_on_parent_death = true;
  if (args.limits != nullptr) options.limits = *args.limits;
  // This back end forks its workers whatever the default method (pools
  // under spawn, API.md Part 5, are not built yet).
  options.start_method = start_method::fork;
  w->proc_.emplace(std::move(options), [boot] {
    int code = worker_main(boot);
    if (code != 0) multiproc::exit(code);
  });
  // Python's pool workers are ForkPoolWorker-N, N from the process-wide
  // counter that names every process; ours are PoolWorker-N.
  const std::string generated = w->proc_->name();
  w->proc_->set_name("PoolWorker" + generated.substr(generated.find('-')));
  // Every worker starts with the user's mask, not its forking thread's: a
  // task's raise(SIGSEGV), alarm() and terminate()'s SIGTERM must work in a
  // replacement forked by the dispatcher (all blocked) as in the first.
  start_process(*w->proc_, {args.caller_outlives_child, &args.signal_mask});
  w->pid_ = *w->proc_->pid();
  w->pidfd_ = w->proc_->sentinel();
  sys::setpgid(w->pid_, w->pid_);  // see worker_main: both sides set it
  sys::fcntl(parent_end.get(), F_SETFL, O_NONBLOCK);
  w->channel_ = std::move(parent_end);
  return w;
}

fork_worker::~fork_worker() = default;

void fork_worker::queue_frame(wire::frame_kind kind, std::uint32_t slot,
                              std::uint64_t entry,
                              std::span<const std::byte> payload,
                              std::int64_t timeout_ns) {
  wire::append_frame(out_, kind, slot, entry, payload.data(), payload.size(),
                     timeout_ns);
}

void fork_worker::flush() noexcept {
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

void fork_worker::receive(const frame_handler& on_frame) {
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

void fork_worker::signal(int signo) noexcept {
  // The worker leads its own process group; it is not reaped before the
  // dispatcher handles its death, so the group id cannot have been reused.
  sys::kill(-pid_, signo);
  pidfd::send_signal(pidfd_, signo);
}

int fork_worker::reap() {
  proc_->join();  // the death fd is readable: this reaps at once
  return proc_->exitcode().value_or(0);
}

namespace {

class fork_backend final : public worker_backend {
 public:
  std::unique_ptr<worker> spawn(worker_spawn_args args) override {
    return fork_worker::spawn(std::move(args));
  }
};

}  // namespace

std::shared_ptr<worker_backend> fork_worker_backend() {
  return std::make_shared<fork_backend>();
}

}  // namespace multiproc::inline v0::detail
