// The child's end of an async() result: encode, write, commit; and the
// timer that kills it when its timeout passes.
#include <cxxabi.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <system_error>
#include <thread>

#include "async/result_channel.hpp"
#include "child_main.hpp"
#include "multiproc/detail/async_child.hpp"
#include "multiproc/remote_exception.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail {

void arm_child_deadline(std::int64_t deadline_ns) noexcept {
  // A POSIX timer whose signal is SIGKILL: the kernel ends the child at the
  // deadline whatever it is doing, and no thread of the parent has to
  // watch. Timers are not inherited by fork, so the child's own children
  // are unaffected.
  sigevent event{};
  event.sigev_notify = SIGEV_SIGNAL;
  event.sigev_signo = SIGKILL;
  itimerspec when{};
  when.it_value.tv_sec = static_cast<time_t>(deadline_ns / 1'000'000'000);
  when.it_value.tv_nsec = static_cast<long>(deadline_ns % 1'000'000'000);
  timer_t timer{};
  if (sys::timer_create(CLOCK_MONOTONIC, &event, &timer) == 0) {
    if (sys::timer_settime(timer, TIMER_ABSTIME, &when) == 0) return;
    ::timer_delete(timer);
  }
  // Out of timers (RLIMIT_SIGPENDING): a watchdog thread does the same.
  try {
    std::thread([deadline_ns] {
      std::this_thread::sleep_until(std::chrono::steady_clock::time_point(
          std::chrono::nanoseconds(deadline_ns)));
      ::kill(::getpid(), SIGKILL);
    }).detach();
  } catch (...) {
    // No way to enforce the timeout: better to fail now than run unbounded.
    ::kill(::getpid(), SIGKILL);
  }
}

child_result_writer::child_result_writer(int fd) noexcept
    : fd_(fd),
      offset_(result_channel::kHeaderSize),
      encoder_(&child_result_writer::sink, this) {}

void child_result_writer::sink(void* self, const void* data, std::size_t size) {
  auto* writer = static_cast<child_result_writer*>(self);
  if (int err =
          result_channel::write_at(writer->fd_, data, size, writer->offset_)) {
    throw std::system_error(err, std::generic_category(),
                            "multiproc: writing the result");
  }
  writer->offset_ += size;
}

encoder& child_result_writer::begin() {
  if (offset_ != result_channel::kHeaderSize || encoder_.size() != 0) {
    if (int err = result_channel::discard(fd_)) {
      throw std::system_error(err, std::generic_category(),
                              "multiproc: resetting the result");
    }
  }
  offset_ = result_channel::kHeaderSize;
  encoder_ = encoder(&child_result_writer::sink, this);
  return encoder_;
}

void child_result_writer::commit(result_kind kind) {
  encoder_.flush();
  if (int err = result_channel::commit(fd_, static_cast<std::uint32_t>(kind),
                                       offset_ - result_channel::kHeaderSize)) {
    throw std::system_error(err, std::generic_category(),
                            "multiproc: committing the result");
  }
}

void child_result_writer::commit_current_exception() {
  try {
    throw;
  } catch (const exit_request&) {
    throw;  // multiproc::exit(): the child ends with that code, no result.
  } catch (abi::__forced_unwind&) {
    throw;  // Thread cancellation must keep unwinding.
  } catch (...) {
  }
  std::exception_ptr original = std::current_exception();
  try {
    encode_current_exception(begin());
    commit(result_kind::exception);
  } catch (...) {
    std::rethrow_exception(original);
  }
}

}  // namespace multiproc::inline v0::detail
