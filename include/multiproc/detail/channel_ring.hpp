// The byte-level core of every queue (src/channel/): a bounded
// multi-producer/multi-consumer ring of whole items in shared memory, with
// the holders-and-sides bookkeeping that turns a dead peer into an error.
//
// A ring is a handle, like every Part 4 object: copies in this process
// share one per-process record (the mapping, whether this process closed
// it, which sides it used); a fork child gets its own record from the fork
// handlers (src/channel/holders.cpp). The shared memory is one memfd mapped
// once per ring and inherited by fork; its descriptor is closed at once, so
// a ring costs no file descriptor, and the kernel frees the memory when the
// last process that maps it unmaps it or ends.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "multiproc/detail/deadline.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail::channel {

struct ring_local;  // this process's record of one ring (src/channel/)

/// Called by get() with the item's bytes while the item is still in its
/// slot: if it throws, the item stays in the queue, whole.
using item_reader = void (*)(void* context, std::span<const std::byte> item);

struct ring_options {
  std::size_t maxsize = 0;  // items at most; 0: the default ring size
  std::size_t max_bytes =
      0;  // encoded bytes held at most, and the largest item
  const char* kind = "Queue";  // Python's class name, for messages
  bool joinable = false;       // count tasks for task_done()/join()
  std::size_t item_bytes = 0;  // the size of every item, when fixed
};

class ring {
 public:
  /// Errors: std::system_error when the OS refuses the memory (memfd,
  /// ftruncate, mmap) or no participant slot is free; nothing is left
  /// behind.
  explicit ring(const ring_options& options);
  ring(const ring& other) noexcept = default;
  ring& operator=(const ring& other) noexcept = default;
  ~ring() = default;

  /// Copies `item` into the queue, waiting for room until `deadline`
  /// (empty: no limit). False: timed out. Errors: std::length_error above
  /// max_bytes; usage_error when this process closed it; broken_pipe_error
  /// when it would wait with no consumer left, or after shutdown().
  bool put(std::span<const std::byte> item,
           const std::optional<steady_deadline>& deadline);
  /// Takes the oldest item, handing its bytes to `read`, waiting until
  /// `deadline`. False: timed out. Errors: usage_error when closed here;
  /// eof_error when empty with no producer left, or shut down and empty;
  /// whatever `read` throws (the item then stays).
  bool get(item_reader read, void* context,
           const std::optional<steady_deadline>& deadline);

  std::size_t qsize() const;
  bool full() const;
  std::size_t maxsize() const noexcept;
  void close() noexcept;
  bool closed() const noexcept;
  void shutdown(bool immediate);
  /// joinable_queue: errors usage_error("task_done() called too many
  /// times") when no task is open anywhere.
  void task_done();
  /// True once no item is queued or open; false at `deadline`. Errors:
  /// broken_pipe_error("all consumers gone") with items queued and no
  /// live consumer.
  bool join(const std::optional<steady_deadline>& deadline);
  std::size_t lost_tasks() const;
  /// The address of the shared state, for messages ("... object at 0x...").
  const void* address() const noexcept;
  /// sync::next_birth() when the queue was made (sync_handle_traits.hpp).
  std::uint64_t birth() const noexcept;

 private:
  std::shared_ptr<ring_local> local_;
};

}  // namespace multiproc::inline v0::detail::channel

#pragma GCC visibility pop
