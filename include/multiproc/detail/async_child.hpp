// The child's side of multiproc::async(): the timeout it arms on itself and
// its end of the result channel. The parent's side is detail/async_core.hpp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <type_traits>
#include <utility>

#include "multiproc/codec.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

/// What a committed result holds.
enum class result_kind : std::uint32_t { value = 1, exception = 2 };

/// In the child, before the user's function: arranges for the kernel to
/// SIGKILL this process at `deadline_ns` (see async_core::deadline_ns), so
/// the timeout holds whether or not the parent waits.
void arm_child_deadline(std::int64_t deadline_ns) noexcept;

/// The child's end of the result channel. The payload is written first and
/// the header that makes it valid last, so a child that dies half way
/// leaves no result; the parent also demands exit code 0.
class child_result_writer {
 public:
  explicit child_result_writer(int fd) noexcept;
  /// Starts (or restarts, discarding what was written) a payload.
  encoder& begin();
  /// Writes out the payload and the header. Errors: std::system_error.
  void commit(result_kind kind);
  /// In a catch block: encodes and commits the exception being handled.
  /// The unwinding of multiproc::exit() passes through untouched. When even
  /// that fails, rethrows the original exception (the child then reports it
  /// on stderr and exits with code 1, as any process would).
  void commit_current_exception();

 private:
  static void sink(void* self, const void* data, std::size_t size);

  int fd_;
  std::uint64_t offset_;
  encoder encoder_;
};

/// The body of an async() child: arm the timeout, compute, send.
template <class R, class F, class... Args>
void run_in_child(int fd, std::int64_t deadline_ns, F& fn, Args&... args) {
  if (deadline_ns != 0) arm_child_deadline(deadline_ns);
  child_result_writer writer(fd);
  try {
    if constexpr (std::is_void_v<R>) {
      std::invoke(std::move(fn), std::move(args)...);
      writer.begin();
    } else {
      // Bound to a reference: a prvalue result lives here, and a reference
      // result is sent without a copy.
      auto&& value = std::invoke(std::move(fn), std::move(args)...);
      writer.begin().write(static_cast<const R&>(value));
    }
    writer.commit(result_kind::value);
  } catch (...) {
    writer.commit_current_exception();
  }
}

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
