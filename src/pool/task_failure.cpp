// The worker's side of a failed task: the exception a task threw, encoded
// for the dispatcher (see pool_future.cpp for the parent's side, which turns
// it back into an exception).
#include <utility>
#include <vector>

#include "child_main.hpp"
#include "multiproc/detail/pool_tasks.hpp"
#include "multiproc/remote_exception.hpp"

namespace multiproc::inline v0::detail {

void encode_task_failure(std::vector<std::byte>& output) noexcept {
  try {
    throw;
  } catch (const exit_request& request) {
    // multiproc::exit() in a task ends the worker, as it would end any
    // child; the task then fails with process_died and that code.
    finish_child(request.code);
  } catch (...) {
  }
  try {
    encoder out;
    encode_current_exception(out);
    output = std::move(out).take_bytes();
  } catch (...) {
    // Not even the exception could be encoded (out of memory): end the
    // worker, so that the task fails with process_died rather than hang.
    finish_child(1);
  }
}

}  // namespace multiproc::inline v0::detail
