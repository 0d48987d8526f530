// The future_core of a pool task: waits on the task's record and turns its
// outcome into a value or the matching exception.
#include <system_error>

#include "multiproc/detail/pool_tasks.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/remote_exception.hpp"

namespace multiproc::inline v0::detail {
namespace {

class pool_task_core final : public future_core {
 public:
  pool_task_core(std::shared_ptr<pool_engine> engine,
                 std::shared_ptr<task_record> task)
      : engine_(std::move(engine)), task_(std::move(task)) {}

  bool wait_until(
      std::optional<std::chrono::steady_clock::time_point> deadline) override {
    // In a forked child nobody would ever set the outcome.
    engine_->throw_unless_owner();
    return task_->wait_until(deadline);
  }

  result_payload take() override {
    if (task_->outcome != task_outcome::value) throw_task_failure(*task_);
    // The record keeps the bytes alive for as long as the payload is used.
    return {task_->payload, task_};
  }

  bool cancel() override { return engine_->cancel(task_); }

  multiproc::process process() const override {
    // A pool task has no process of its own: workers serve many tasks.
    throw usage_error("a pool task has no process of its own");
  }

  std::optional<multiproc::usage> usage() const override {
    std::lock_guard lock(task_->mutex);
    if (task_->outcome == task_outcome::pending) return std::nullopt;
    return task_->used;
  }

  outcome_state peek() override {
    std::lock_guard lock(task_->mutex);
    switch (task_->outcome) {
      case task_outcome::pending:
        return outcome_state::pending;
      case task_outcome::value:
        return outcome_state::value;
      case task_outcome::cancelled:
        return outcome_state::cancelled;
      case task_outcome::exception:
      case task_outcome::died:
      case task_outcome::timed_out:
      case task_outcome::broken:
        break;
    }
    return outcome_state::failed;
  }

  // A task has no fd: its record tells the listener when its outcome is
  // set (task_record::done).
  int subscribe(ready_listener& listener, std::size_t token) override {
    task_->add_ready_listener(listener, token);
    return -1;
  }
  void unsubscribe(ready_listener& listener,
                   std::size_t token) noexcept override {
    task_->remove_ready_listener(listener, token);
  }

 private:
  std::shared_ptr<pool_engine> engine_;
  std::shared_ptr<task_record> task_;
};

}  // namespace

std::unique_ptr<future_core> make_pool_future_core(
    std::shared_ptr<pool_engine> engine, std::shared_ptr<task_record> task) {
  return std::make_unique<pool_task_core>(std::move(engine), std::move(task));
}

void throw_task_failure(const task_record& task) {
  switch (task.outcome) {
    case task_outcome::exception: {
      decoder in(task.payload);
      throw_encoded_exception(in);
    }
    case task_outcome::died:
      if (!task.message.empty())
        throw process_died(task.exitcode, task.message);
      throw process_died(task.exitcode);
    case task_outcome::timed_out:
      throw timeout_error(task.timeout.value_or(std::chrono::nanoseconds(0)));
    case task_outcome::cancelled:
      throw cancelled_error();
    case task_outcome::broken:
      throw process_died(task.exitcode, task.message);
    case task_outcome::pending:
    case task_outcome::value:
      break;
  }
  throw std::logic_error("multiproc: task has no failure to report");
}

std::exception_ptr task_failure(const task_record& task) noexcept {
  try {
    throw_task_failure(task);
  } catch (...) {
    return std::current_exception();
  }
}

std::exception_ptr item_failure(std::span<const std::byte> encoded) noexcept {
  try {
    decoder in(encoded);
    throw_encoded_exception(in);
  } catch (...) {
    return std::current_exception();
  }
}

}  // namespace multiproc::inline v0::detail
