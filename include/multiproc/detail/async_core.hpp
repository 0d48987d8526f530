// The parent's side of multiproc::async(): the core behind a future that
// async() made. The child's side is detail/async_child.hpp; the channel
// between them, src/async/result_channel.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "multiproc/future.hpp"
#include "multiproc/process.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

/// The parent's side of one async() child. Made before the fork: it owns
/// the result channel (a memfd) the child inherits.
class async_core : public future_core {
 public:
  /// The channel's fd, as the child will see it.
  virtual int channel_fd() const noexcept = 0;
  /// The child's kill time on the steady clock, in nanoseconds since its
  /// epoch (CLOCK_MONOTONIC); 0 for no timeout.
  virtual std::int64_t deadline_ns() const noexcept = 0;
  /// Starts `child` and keeps its handle. Errors: as process::start().
  virtual void start(multiproc::process child) = 0;
};

/// Errors: std::system_error when the channel cannot be made (out of fds).
std::unique_ptr<async_core> make_async_core(
    std::optional<std::chrono::nanoseconds> timeout);

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
