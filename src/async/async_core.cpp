// The parent's side of an async() child: start, wait, read the outcome,
// cancel, and kill-and-reap on destruction.
#include "multiproc/detail/async_core.hpp"

#include <signal.h>

#include <chrono>
#include <mutex>
#include <span>
#include <system_error>

#include "async/result_channel.hpp"
#include "launch/start_process.hpp"
#include "limits/rlimit_plan.hpp"
#include "multiproc/detail/async_child.hpp"  // result_kind
#include "multiproc/errors.hpp"
#include "posix/unique_fd.hpp"
#include "process_state.hpp"

namespace multiproc::inline v0::detail {
namespace {

using steady = std::chrono::steady_clock;

class process_core final : public async_core {
 public:
  explicit process_core(std::optional<std::chrono::nanoseconds> timeout)
      : timeout_(timeout) {
    if (int err = result_channel::create(channel_)) {
      throw std::system_error(err, std::generic_category(), "memfd_create");
    }
    if (timeout_) {
      auto deadline = deadline_after(*timeout_);
      // A timeout beyond ~100 years is no timeout.
      if (deadline) {
        deadline_ = deadline;
        deadline_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                           deadline->time_since_epoch())
                           .count();
        if (deadline_ns_ <= 0) deadline_ns_ = 1;
      } else {
        timeout_.reset();
      }
    }
  }

  // Kills and reaps a child that still runs: nobody can read its result.
  ~process_core() override {
    if (!child_) return;
    try {
      if (!child_->join(std::chrono::nanoseconds(0))) {
        child_->kill();
        child_->join();
      }
    } catch (...) {
      // A closed handle (the user called close(), which needs an ended
      // child) or a failing waitid: nothing more to do.
    }
  }

  int channel_fd() const noexcept override { return channel_.get(); }
  std::int64_t deadline_ns() const noexcept override { return deadline_ns_; }

  void start(multiproc::process child) override {
    // A forked child inherits the channel; any other gets it passed, at
    // the same number (the one its target was given).
    const passed_fd channel{channel_.get(), channel_.get()};
    std::span<const passed_fd> fds;
    if (child.state()->method.value_or(start_method::fork) !=
        start_method::fork) {
      fds = std::span(&channel, 1);
    }
    start_process(child, {}, fds);
    child_.emplace(std::move(child));
  }

  bool wait_until(std::optional<steady::time_point> deadline) override {
    if (!deadline) {
      child_->join();
      return true;
    }
    return child_->join_until(*deadline);
  }

  result_payload take() override {
    std::lock_guard lock(mutex_);
    const int code = child_->exitcode().value_or(-SIGKILL);
    if (code == 0 && channel_) {
      result_channel::committed result;
      int err = result_channel::read(channel_.get(), result);
      channel_.reset();
      if (err != 0) {
        throw std::system_error(err, std::generic_category(),
                                "multiproc: reading the result");
      }
      if (result.kind == static_cast<std::uint32_t>(result_kind::value)) {
        return {result.payload, std::move(result.storage)};
      }
      if (result.kind == static_cast<std::uint32_t>(result_kind::exception)) {
        decoder in(result.payload);
        throw_encoded_exception(in);
      }
    }
    channel_.reset();
    if (cancel_requested_) throw cancelled_error();
    if (deadline_ && code == -SIGKILL && steady::now() >= *deadline_) {
      throw timeout_error(*timeout_);
    }
    // A cap the child was given may explain its death (SIGXCPU, say).
    const process_state& state = *child_->state();
    throw process_died(code, died_message(code, state.limits, child_->usage()));
  }

  bool cancel() override {
    std::lock_guard lock(mutex_);
    if (!channel_) return cancel_requested_;  // outcome already taken
    if (cancel_requested_) return true;
    if (child_->join(std::chrono::nanoseconds(0))) return false;
    cancel_requested_ = true;
    child_->kill();
    child_->join();
    // The child may have finished between the look and the kill; then its
    // outcome stands, as Python's cancel() of a finished future.
    bool delivered = false;
    if (child_->exitcode() == 0 &&
        result_channel::has_result(channel_.get(), delivered) == 0 &&
        delivered) {
      cancel_requested_ = false;
      return false;
    }
    return true;
  }

  multiproc::process process() const override { return *child_; }

  std::optional<multiproc::usage> usage() const override {
    // Known once the child has been reaped, which every wait does.
    return child_->usage();
  }

  outcome_state peek() override {
    std::lock_guard lock(mutex_);
    // Ready means ended and reaped, as for wait_until().
    if (!child_->join(std::chrono::nanoseconds(0))) {
      return outcome_state::pending;
    }
    if (cancel_requested_) return outcome_state::cancelled;
    // No channel: take() has run (the future is no longer valid); nothing
    // is left to peek at.
    if (!channel_ || child_->exitcode() != 0) return outcome_state::failed;
    std::uint32_t kind = 0;
    if (int err = result_channel::committed_kind(channel_.get(), kind)) {
      throw std::system_error(err, std::generic_category(),
                              "multiproc: reading the result");
    }
    return kind == static_cast<std::uint32_t>(result_kind::value)
               ? outcome_state::value
               : outcome_state::failed;
  }

  // The child's pidfd becomes readable when it ends: poll() waits on many.
  int subscribe(ready_listener&, std::size_t) override {
    return child_->sentinel();
  }
  void unsubscribe(ready_listener&, std::size_t) noexcept override {}

 private:
  std::optional<std::chrono::nanoseconds> timeout_;
  std::optional<steady::time_point> deadline_;
  std::int64_t deadline_ns_ = 0;
  unique_fd channel_;
  // Optional: a default-constructed process would consume a name counter.
  std::optional<multiproc::process> child_;
  std::mutex mutex_;
  bool cancel_requested_ = false;
};

}  // namespace

std::unique_ptr<async_core> make_async_core(
    std::optional<std::chrono::nanoseconds> timeout) {
  return std::make_unique<process_core>(timeout);
}

}  // namespace multiproc::inline v0::detail
