// multiproc/connection.hpp — pipes between processes whose messages are
// whole, in order and never waited on from a dead peer, and wait() over
// connections, processes and descriptors (API.md Part 4).
//
//   auto [parent_end, child_end] = mp::pipe<std::string>();  // Python: Pipe()
//   mp::process child([child_end]() mutable {
//     child_end.send("hello from " + mp::current_process().name());
//     std::cout << child_end.recv() << '\n';
//   });
//   child.start();
//   child_end.close();            // the parent is done with the child's end
//   std::cout << parent_end.recv() << '\n';
//   parent_end.send("hello back");
//   child.join();
//
// A pipe end is not a kernel socket: messages travel through shared memory
// as queue items do (queue.hpp): synchronous copy in the sender, whole or
// not at all when a sender or receiver dies, max_bytes per direction, a
// trivially copyable T as its bytes. Any number of threads and processes
// may use one end at once. There is no fileno(): use wait().
//
// Dead peers (the sides rule of API.md): a pipe's sides are its two ends.
// A process that holds a pipe counts on both ends, except that once a
// second process has held it, a process that has used only one end
// (send*, recv*, poll) counts only on that one; close() stops it counting
// on that end. recv() with nothing waiting and nobody counting on the other
// end throws eof_error("connection closed by the other end"); send() then
// throws broken_pipe_error("Broken pipe"); no SIGPIPE is ever raised.
//
// Each pipe uses one file descriptor (an eventfd, for wait()); its memory
// goes back to the system when the last process lets go.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "multiproc/detail/channel_items.hpp"
#include "multiproc/detail/channel_pipe.hpp"
#include "multiproc/detail/deadline.hpp"
#include "multiproc/detail/sync_handle_traits.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/process.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// Python: Pipe(duplex) has only `duplex`; max_bytes is beyond Python.
/// Errors: none.
struct pipe_options {
  /// False: one direction, pipe() returns (reader, writer).
  bool duplex = true;
  /// Per direction, as queue_options: the largest message and the bytes
  /// held at once (address space, not memory).
  std::size_t max_bytes = std::size_t{1} << 30;
};

class waitable;

namespace detail::channel {

/// What both kinds of connection share.
class connection_base {
 public:
  /// recv() would not block now (a message, or end-of-file).
  bool poll() const { return end_.poll(std::chrono::steady_clock::now()); }
  /// Waits up to `timeout` for poll() to be true.
  template <class Rep, class Period>
  bool poll(std::chrono::duration<Rep, Period> timeout) const {
    return end_.poll(detail::deadline_after(timeout));
  }
  /// This process is done with this end; idempotent.
  void close() noexcept { end_.close(); }
  bool closed() const noexcept { return end_.closed(); }
  bool readable() const { return end_.readable(); }
  bool writable() const { return end_.writable(); }

 protected:
  explicit connection_base(const pipe_end& end) noexcept : end_(end) {}
  // For pool::submit()/apply(): whether the pipe is older than the pool.
  friend std::uint64_t handle_birth(const connection_base& c) noexcept {
    return c.end_.birth();
  }
  pipe_end end_;
  friend class multiproc::waitable;
};

}  // namespace detail::channel

/// Python's multiprocessing.connection.Connection, for objects of type T
/// (T = void: bytes, with send_bytes/recv_bytes/recv_bytes_into).
///
/// A handle: copies (here, or in fork children) are the same end; copying
/// and moving are cheap and noexcept and never leave the source empty.
/// The members of both kinds:
///   poll(), poll(timeout): recv() would not block (a message, or EOF).
///   close(): this process is done with this end (idempotent); closed().
///   readable(), writable(): Python's properties.
///
/// Errors: every call but close()/closed() on an end this process closed
/// throws usage_error("handle is closed"); send*() on a read-only end
/// usage_error("connection is read-only"); recv*()/poll() on a write-only
/// end usage_error("connection is write-only"). send(): whatever encoding
/// throws (the pipe unchanged); std::length_error("item of N bytes is
/// larger than max_bytes (M)"); broken_pipe_error("Broken pipe") when no
/// live process counts on the other end. recv(): eof_error("connection
/// closed by the other end") when nothing is waiting and no live process
/// counts on the other end; codec_error for bytes that do not decode (the
/// message is consumed).
/// Thread safety: any thread of any process, at once; messages never
/// interleave. A send() synchronizes with the recv() that returns it.
/// Python: Connection (send/recv pickle; here the codec, or T's bytes).
template <class T = void>
class connection : public detail::channel::connection_base {
 public:
  /// For pipe(): the end `end`.
  /// Python: made by Pipe(). Errors: none.
  explicit connection(const detail::channel::pipe_end& end) noexcept
      : connection_base(end) {}

  /// Sends `obj`, copied into shared memory before send() returns; waits
  /// for room while the other end is alive.
  /// Python: Connection.send. Errors: as the class comment lists.
  void send(const T& obj) {
    end_.check_writable();  // before encoding, as Python checks first
    (void)detail::channel::put_item(end_, obj, std::nullopt);
  }
  /// The next message, waiting without limit while the other end is alive.
  /// Python: Connection.recv. Errors: as the class comment lists.
  T recv() { return *detail::channel::get_item<T>(end_, std::nullopt); }

  /// The same end (copies of one end compare equal).
  /// Python: `is` on the same Connection. Errors: none.
  friend bool operator==(const connection& a, const connection& b) noexcept {
    return a.end_.same_end(b.end_);
  }
};

/// Python's Connection for bytes: send_bytes, recv_bytes, recv_bytes_into,
/// with Python's checks and messages.
///
/// Errors: as connection<T>, and: send_bytes() usage_error("offset is
/// negative"), ("buffer length < offset"), ("size is negative"), ("buffer
/// length < offset + size"); recv_bytes(maxlength) usage_error("negative
/// maxlength"), and std::system_error (errc::message_size, "bad message
/// length...") for a longer message, which stays in place (the end stays
/// usable, unlike Python's); recv_bytes_into() usage_error("negative
/// offset"), ("offset too large"), and buffer_too_short carrying the whole
/// message (consumed) when it does not fit.
/// Python: Connection's *_bytes methods.
template <>
class connection<void> : public detail::channel::connection_base {
 public:
  /// For pipe(): the end `end`.
  /// Python: made by Pipe(). Errors: none.
  explicit connection(const detail::channel::pipe_end& end) noexcept
      : connection_base(end) {}

  /// Sends buf[offset, offset + size) (size: to the end) as one message.
  /// Python: Connection.send_bytes. Errors: as the class comment lists.
  void send_bytes(std::span<const std::byte> buf, std::ptrdiff_t offset = 0,
                  std::optional<std::ptrdiff_t> size = std::nullopt) {
    end_.send_bytes(buf, offset, size);
  }
  /// Python: Connection.send_bytes. Errors: as the class comment lists.
  void send_bytes(std::string_view buf, std::ptrdiff_t offset = 0,
                  std::optional<std::ptrdiff_t> size = std::nullopt) {
    end_.send_bytes(std::as_bytes(std::span<const char>(buf)), offset, size);
  }
  /// The next message, whole.
  /// Python: Connection.recv_bytes. Errors: as the class comment lists.
  std::vector<std::byte> recv_bytes(
      std::optional<std::ptrdiff_t> maxlength = std::nullopt) {
    return end_.recv_bytes(maxlength);
  }
  /// Copies the next message to buf[offset...]; returns its size.
  /// Python: Connection.recv_bytes_into. Errors: as the class comment lists.
  std::size_t recv_bytes_into(std::span<std::byte> buf,
                              std::ptrdiff_t offset = 0) {
    return end_.recv_bytes_into(buf, offset);
  }

  /// The same end (copies of one end compare equal).
  /// Python: `is` on the same Connection. Errors: none.
  friend bool operator==(const connection& a, const connection& b) noexcept {
    return a.end_.same_end(b.end_);
  }
};

/// Two connected ends; pipe(false) is (reader, writer). T = void: bytes.
/// Python: multiprocessing.Pipe(duplex).
/// Errors: std::system_error when the OS refuses the memory or the
/// eventfd; nothing is left behind.
template <class T = void>
std::pair<connection<T>, connection<T>> pipe(pipe_options options) {
  auto ends =
      detail::channel::pipe_end::make(options.duplex, options.max_bytes);
  return {connection<T>(ends.first), connection<T>(ends.second)};
}

/// Python: multiprocessing.Pipe(duplex).
/// Errors: as pipe(options).
template <class T = void>
std::pair<connection<T>, connection<T>> pipe(bool duplex = true) {
  return pipe<T>(pipe_options{.duplex = duplex});
}

namespace detail::sync {
/// Marks connection as a handle that reaches children only by inheritance
/// (never as bytes: not a queue or pipe item, not a task's result).
/// Python has none (Python pickles a Connection only for spawn).
template <class T>
struct is_handle<connection<T>> : std::true_type {
  static constexpr const char* python_name = "Connection";
};
}  // namespace detail::sync

namespace detail::channel {
struct wait_access;
}

/// One thing wait() can wait for: a connection (ready when recv() would
/// not block: a message, or end-of-file), a process (ready once it has
/// ended; not reaped) or a file descriptor (ready when poll() says
/// readable). Refers to the object, which must outlive the wait() call.
/// Python: the objects multiprocessing.connection.wait() accepts
/// (Connection, Process.sentinel, anything with fileno()).
/// Errors: none (wait() checks the objects).
class waitable {
 public:
  /// Python: a Connection in wait()'s list. Errors: none.
  template <class T>
  waitable(const connection<T>& c) noexcept  // NOLINT: implicit, as Python
      : kind_(kind::connection), end_(&c.end_) {}
  /// Python: Process.sentinel in wait()'s list. Errors: none.
  waitable(const process& p) noexcept  // NOLINT: implicit, as Python
      : kind_(kind::process), process_(&p) {}
  /// Python: an fd in wait()'s list. Errors: none.
  explicit waitable(int fd) noexcept : kind_(kind::fd), fd_(fd) {}

 private:
  friend struct detail::channel::wait_access;
  enum class kind { connection, process, fd };
  kind kind_;
  const detail::channel::pipe_end* end_ = nullptr;
  const process* process_ = nullptr;
  int fd_ = -1;
};

namespace detail::channel {
std::vector<std::size_t> wait_steady(std::span<const waitable> objects,
                                     std::optional<steady_deadline> deadline);
}

/// Blocks until at least one of `objects` is ready and returns the
/// positions of the ready ones, ascending. An empty list returns at once.
/// Event driven: a send, a close() or a process's end wakes it at once; a
/// peer's death is seen within 100 ms.
/// Python: multiprocessing.connection.wait(objects), returning positions.
/// Errors: a closed connection usage_error("handle is closed"), a
/// write-only one ("connection is write-only"); a process as sentinel()
/// ("process not started", "process object is closed"); all checked
/// before waiting. std::system_error ("ppoll") when the kernel refuses.
std::vector<std::size_t> wait(std::initializer_list<waitable> objects);
/// Python: multiprocessing.connection.wait(objects).
/// Errors: as wait(objects) above.
std::vector<std::size_t> wait(std::span<const waitable> objects);
/// As wait(objects), giving up after `timeout` (zero or less: look once);
/// then the positions may be none.
/// Python: multiprocessing.connection.wait(objects, timeout).
/// Errors: as wait(objects). A timeout is not an error.
template <class Rep, class Period>
std::vector<std::size_t> wait(std::initializer_list<waitable> objects,
                              std::chrono::duration<Rep, Period> timeout) {
  return detail::channel::wait_steady(
      std::span<const waitable>(objects.begin(), objects.size()),
      detail::deadline_after(timeout));
}
/// Python: multiprocessing.connection.wait(objects, timeout).
/// Errors: as wait(objects). A timeout is not an error.
template <class Rep, class Period>
std::vector<std::size_t> wait(std::span<const waitable> objects,
                              std::chrono::duration<Rep, Period> timeout) {
  return detail::channel::wait_steady(objects, detail::deadline_after(timeout));
}

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
