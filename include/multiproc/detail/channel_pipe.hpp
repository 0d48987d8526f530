// The byte-level core of a pipe end (src/channel/connection.cpp): one ring
// per direction, in shared memory of its own, whose first ring's holders
// table counts the pipe's two sides (its ends); and one eventfd per pipe,
// written only while a wait() watches an end, so that wait() over
// connections, processes and descriptors is one ppoll.
//
// A pipe_end is a handle: copies in this process share one record of the
// end (whether this process closed it); a fork child gets a copy of that
// record and its own holder entry (src/channel/holders.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "multiproc/detail/channel_ring.hpp"
#include "multiproc/detail/deadline.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail::channel {

struct end_local;  // this process's record of one end (src/channel/)

class pipe_end {
 public:
  /// Both ends of a new pipe: (first, second); simplex: (reader, writer).
  /// Errors: std::system_error when the OS refuses the memory or the
  /// eventfd; nothing is left behind.
  static std::pair<pipe_end, pipe_end> make(bool duplex, std::size_t max_bytes);

  pipe_end(const pipe_end& other) noexcept = default;
  pipe_end& operator=(const pipe_end& other) noexcept = default;
  ~pipe_end() = default;

  /// usage_error("handle is closed") / ("connection is read-only").
  void check_writable() const;
  /// usage_error("handle is closed") / ("connection is write-only").
  void check_readable() const;

  /// Sends one message (the shape put_item() expects; never times out, so
  /// true). Errors: as check_writable(); std::length_error above
  /// max_bytes; broken_pipe_error("Broken pipe") with nobody on the other
  /// side (at once, or promptly while waiting for room).
  bool put(std::span<const std::byte> message,
           const std::optional<steady_deadline>& deadline);
  /// Receives one message through `read` (the shape get_item() expects).
  /// False only when `deadline` passed. Errors: as check_readable();
  /// eof_error("connection closed by the other end") with nothing waiting
  /// and nobody on the other side; whatever `read` throws (the message
  /// then stays).
  bool get(item_reader read, void* context,
           const std::optional<steady_deadline>& deadline);
  /// Whether recv() would not block (a message, or end-of-file), waiting
  /// until `deadline` for one. Errors: as check_readable().
  bool poll(const std::optional<steady_deadline>& deadline) const;

  /// Python's send_bytes checks, then put(). Errors: those and put()'s.
  void send_bytes(std::span<const std::byte> buf, std::ptrdiff_t offset,
                  std::optional<std::ptrdiff_t> size);
  /// Errors: usage_error("negative maxlength"); std::system_error
  /// (message_size, "bad message length") leaving the message in place;
  /// those of get().
  std::vector<std::byte> recv_bytes(std::optional<std::ptrdiff_t> maxlength);
  /// Errors: usage_error("negative offset") / ("offset too large");
  /// buffer_too_short with the message, consumed; those of get().
  std::size_t recv_bytes_into(std::span<std::byte> buf, std::ptrdiff_t offset);

  void close() noexcept;
  bool closed() const noexcept;
  /// Errors: usage_error("handle is closed").
  bool readable() const;
  bool writable() const;
  bool same_end(const pipe_end& other) const noexcept {
    return local_ == other.local_;
  }

  // For wait() (src/channel/wait.cpp).
  /// Whether recv() would not block now (no checks, no waiting).
  bool ready_now() const noexcept;
  /// The pipe's eventfd in this process.
  int event_fd() const noexcept;
  /// Counts one wait() watching this end, until unwatch(the token).
  int watch() const noexcept;
  void unwatch(int token) const noexcept;
  /// After this process drained the eventfd: writes it again if an end of
  /// this pipe is ready and watched by more wait() calls than `mine` says
  /// (mine[0], mine[1]: this call's own watches of the first and second
  /// end), so that no other waiter loses the wake-up it was owed.
  void pass_on_wakeup(const int (&mine)[2]) const noexcept;
  /// sync::next_birth() when the pipe was made (sync_handle_traits.hpp).
  std::uint64_t birth() const noexcept;
  /// 0 for the first end of its pipe, 1 for the second.
  int index() const noexcept;
  /// The same pipe (either end)?
  bool same_pipe(const pipe_end& other) const noexcept;

 private:
  explicit pipe_end(std::shared_ptr<end_local> local) noexcept
      : local_(std::move(local)) {}
  std::shared_ptr<end_local> local_;
};

}  // namespace multiproc::inline v0::detail::channel

#pragma GCC visibility pop
