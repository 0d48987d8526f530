// A pipe end: Python's Connection over the queue's rings (ring_ops.hpp),
// one ring per direction, with the sides rule of API.md counted in the
// holders table of the ring that delivers to the first end. The first end
// is that table's put side, the second its get side; a process that closes
// an end drops that side (holders.cpp), so the parent's unused copy of its
// child's end stops counting once it calls close().
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>

#include "channel/holders.hpp"
#include "channel/ring_ops.hpp"
#include "multiproc/detail/channel_pipe.hpp"
#include "multiproc/errors.hpp"
#include "posix/io.hpp"
#include "posix/unique_fd.hpp"
#include "sync/participants.hpp"

namespace multiproc::inline v0::detail::channel {

/// This process's record of one pipe, shared by the records of its ends.
struct pipe_local {
  // to[e]: the ring that delivers to end e; to[1] is empty for a simplex
  // pipe (whose first end only reads). to[0]'s holders count the sides.
  std::shared_ptr<ring_local> to[2];
  detail::unique_fd event;  // written while a wait() watches an end

  ring_local& sides() const noexcept { return *to[0]; }
};

/// This process's record of one end, shared by its handles here.
struct end_local {
  std::shared_ptr<pipe_local> pipe;
  int index = 0;  // 0: the first end, 1: the second
  std::atomic<bool> closed{false};

  ring_local* inbox() const noexcept { return pipe->to[index].get(); }
  ring_local* outbox() const noexcept { return pipe->to[1 - index].get(); }
  void release() noexcept;
  ~end_local() {
    if (!closed.load()) release();
  }
};

namespace {

side side_of(int index) noexcept { return index == 0 ? side::put : side::get; }

bool peer_alive(const end_local& e) noexcept {
  return side_alive(e.pipe->sides(), side_of(1 - e.index));
}

// Whether end `index` of `p` has something for recv(): a message, or
// nobody left on the other side (end-of-file).
bool end_ready(const pipe_local& p, int index) noexcept {
  ring_local* in = p.to[index].get();
  if (in == nullptr) return false;
  return has_item(*in) || !side_alive(p.sides(), side_of(1 - index));
}

// A wait() watching end `index` learns of a change there.
void notify_watchers(const pipe_local& p, int index) noexcept {
  if (u32_ref(p.sides().header().watchers[index]).load() != 0) {
    io::eventfd_notify(p.event.get());
  }
}

[[noreturn]] void throw_closed() { throw usage_error("handle is closed"); }

}  // namespace

void end_local::release() noexcept {
  ring_local& sides = pipe->sides();
  drop_side(sides, side_of(index));
  const bool other_dropped =
      (index == 0 ? sides.dropped_get : sides.dropped_put).load();
  if (other_dropped && !sides.closed.exchange(true)) let_go(sides);
  // Whoever waits on this pipe looks again: it may have reached its end.
  for (int end = 0; end < 2; ++end) {
    ring_local* ring = pipe->to[end].get();
    if (ring == nullptr) continue;
    wake_getters(ring->header());
    wake_putters(ring->header());
    notify_watchers(*pipe, end);
  }
}

std::pair<pipe_end, pipe_end> pipe_end::make(bool duplex,
                                             std::size_t max_bytes) {
  const ring_options options{0, max_bytes, "Connection", false, 0};
  auto pipe = std::make_shared<pipe_local>();
  if (int err = io::create_eventfd(pipe->event)) {
    throw std::system_error(err, std::generic_category(), "eventfd");
  }
  pipe->to[0] = make_ring(options, true);
  // Its holders' task words count watches (holders.cpp); set before any
  // other process can see the ring.
  pipe->to[0]->header().pipe_sides = 1;
  if (duplex) pipe->to[1] = make_ring(options, false);
  auto first = std::make_shared<end_local>();
  first->pipe = pipe;
  first->index = 0;
  auto second = std::make_shared<end_local>();
  second->pipe = std::move(pipe);
  second->index = 1;
  return {pipe_end(std::move(first)), pipe_end(std::move(second))};
}

void pipe_end::check_writable() const {
  if (local_->closed.load()) throw_closed();
  if (local_->outbox() == nullptr) {
    throw usage_error("connection is read-only");
  }
}

void pipe_end::check_readable() const {
  if (local_->closed.load()) throw_closed();
  if (local_->inbox() == nullptr) {
    throw usage_error("connection is write-only");
  }
}

bool pipe_end::put(std::span<const std::byte> message,
                   const std::optional<steady_deadline>& deadline) {
  check_writable();
  end_local& e = *local_;
  ring_local& out = *e.outbox();
  ring_header& h = out.header();
  if (message.size() > h.max_bytes) {
    throw std::length_error("item of " + std::to_string(message.size()) +
                            " bytes is larger than max_bytes (" +
                            std::to_string(h.max_bytes) + ")");
  }
  note_use(e.pipe->sides(), side_of(e.index));
  // Python's EPIPE: nobody can ever read it, so it is not sent.
  if (!peer_alive(e)) throw broken_pipe_error();
  const std::uint32_t me = sync::process_participant();
  const auto attempt = [&] {
    return try_put(out, message, me) == put_outcome::done;
  };
  bool spun = false;
  for (;;) {
    if (attempt()) break;
    if (!spun && !passed(deadline)) {
      spun = true;
      if (spin(deadline, attempt, [] { return false; })) break;
    }
    if (!peer_alive(e)) throw broken_pipe_error();
    if (passed(deadline)) return false;
    if (sleep_unless(h.get_seq, h.put_waiters, deadline, attempt)) break;
  }
  notify_watchers(*e.pipe, 1 - e.index);
  return true;
}

bool pipe_end::get(item_reader read, void* context,
                   const std::optional<steady_deadline>& deadline) {
  check_readable();
  end_local& e = *local_;
  ring_local& in = *e.inbox();
  ring_header& h = in.header();
  note_use(e.pipe->sides(), side_of(e.index));
  const std::uint32_t me = sync::process_participant();
  const auto attempt = [&] {
    return try_get(in, read, context, me) == get_outcome::done;
  };
  bool spun = false;
  for (;;) {
    if (attempt()) return true;
    if (!peer_alive(e)) {
      // A peer that sent and then closed: its message is there now.
      if (attempt()) return true;
      throw eof_error("connection closed by the other end");
    }
    if (passed(deadline)) return false;
    if (!spun) {
      spun = true;
      if (spin(deadline, attempt, [&] { return head_item_ready(in); })) {
        return true;
      }
      continue;
    }
    if (sleep_unless(h.put_seq, h.get_waiters, deadline, attempt)) return true;
  }
}

bool pipe_end::poll(const std::optional<steady_deadline>& deadline) const {
  check_readable();
  end_local& e = *local_;
  ring_local& in = *e.inbox();
  ring_header& h = in.header();
  note_use(e.pipe->sides(), side_of(e.index));
  const auto message = [&] { return has_item(in); };
  bool spun = false;
  for (;;) {
    if (message() || !peer_alive(e)) return true;
    if (passed(deadline)) return false;
    if (!spun) {
      spun = true;
      if (spin(deadline, message, [&] { return head_item_ready(in); })) {
        return true;
      }
      continue;
    }
    if (sleep_unless(h.put_seq, h.get_waiters, deadline, message)) return true;
  }
}

void pipe_end::send_bytes(std::span<const std::byte> buf, std::ptrdiff_t offset,
                          std::optional<std::ptrdiff_t> size) {
  check_writable();
  // Python's checks, in Python's order (Connection.send_bytes).
  const auto length = static_cast<std::ptrdiff_t>(buf.size());
  if (offset < 0) throw usage_error("offset is negative");
  if (length < offset) throw usage_error("buffer length < offset");
  if (!size) {
    size = length - offset;
  } else if (*size < 0) {
    throw usage_error("size is negative");
  } else if (*size > length - offset) {
    throw usage_error("buffer length < offset + size");
  }
  (void)put(buf.subspan(static_cast<std::size_t>(offset),
                        static_cast<std::size_t>(*size)),
            std::nullopt);
}

std::vector<std::byte> pipe_end::recv_bytes(
    std::optional<std::ptrdiff_t> maxlength) {
  check_readable();
  if (maxlength && *maxlength < 0) throw usage_error("negative maxlength");
  struct request {
    std::optional<std::ptrdiff_t> maxlength;
    std::vector<std::byte> out;
  } r{maxlength, {}};
  const item_reader read = [](void* context, std::span<const std::byte> m) {
    auto& req = *static_cast<request*>(context);
    if (req.maxlength && m.size() > static_cast<std::size_t>(*req.maxlength)) {
      // Thrown while the message is still in its slot: it stays there,
      // whole, and the end stays usable (Python marks it unreadable).
      throw std::system_error(std::make_error_code(std::errc::message_size),
                              "bad message length");
    }
    req.out.assign(m.begin(), m.end());
  };
  (void)get(read, &r, std::nullopt);
  return std::move(r.out);
}

std::size_t pipe_end::recv_bytes_into(std::span<std::byte> buf,
                                      std::ptrdiff_t offset) {
  check_readable();
  if (offset < 0) throw usage_error("negative offset");
  if (static_cast<std::size_t>(offset) > buf.size()) {
    throw usage_error("offset too large");
  }
  struct request {
    std::span<std::byte> room;
    std::size_t size = 0;
    bool too_short = false;
    std::vector<std::byte> whole;
  } r{buf.subspan(static_cast<std::size_t>(offset)), 0, false, {}};
  const item_reader read = [](void* context, std::span<const std::byte> m) {
    auto& req = *static_cast<request*>(context);
    req.size = m.size();
    if (m.size() > req.room.size()) {
      // Python consumes the message and hands it over in the exception.
      req.too_short = true;
      req.whole.assign(m.begin(), m.end());
      return;
    }
    if (!m.empty()) std::memcpy(req.room.data(), m.data(), m.size());
  };
  (void)get(read, &r, std::nullopt);
  if (r.too_short) throw buffer_too_short(std::move(r.whole));
  return r.size;
}

void pipe_end::close() noexcept {
  if (local_->closed.exchange(true)) return;
  local_->release();
}

bool pipe_end::closed() const noexcept { return local_->closed.load(); }

bool pipe_end::readable() const {
  if (local_->closed.load()) throw_closed();
  return local_->inbox() != nullptr;
}

bool pipe_end::writable() const {
  if (local_->closed.load()) throw_closed();
  return local_->outbox() != nullptr;
}

bool pipe_end::ready_now() const noexcept {
  return end_ready(*local_->pipe, local_->index);
}

int pipe_end::event_fd() const noexcept { return local_->pipe->event.get(); }

int pipe_end::watch() const noexcept {
  note_use(local_->pipe->sides(), side_of(local_->index));
  return add_watch(local_->pipe->sides(), local_->index);
}

void pipe_end::unwatch(int token) const noexcept {
  remove_watch(local_->pipe->sides(), local_->index, token);
}

void pipe_end::pass_on_wakeup(const int (&mine)[2]) const noexcept {
  const pipe_local& p = *local_->pipe;
  for (int index = 0; index < 2; ++index) {
    const std::uint32_t watching =
        u32_ref(p.sides().header().watchers[index]).load();
    if (watching > static_cast<std::uint32_t>(mine[index]) &&
        end_ready(p, index)) {
      io::eventfd_notify(p.event.get());
      return;
    }
  }
}

int pipe_end::index() const noexcept { return local_->index; }

std::uint64_t pipe_end::birth() const noexcept {
  return local_->pipe->sides().birth;
}

bool pipe_end::same_pipe(const pipe_end& other) const noexcept {
  return local_->pipe == other.local_->pipe;
}

}  // namespace multiproc::inline v0::detail::channel
