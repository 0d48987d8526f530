// The life of a child after fork: take over the registry, run the target,
// report an uncaught exception as Python does, finish its own children,
// flush, and leave through _exit.
#pragma once

#include <sys/types.h>

#include <string>

namespace multiproc::inline v0 {
class process;
}

namespace multiproc::inline v0::detail {

/// What the parent hands the child across fork (it lives on the parent's
/// stack, which the child has an identical copy of).
struct child_context {
  process* self;            // the object that was started
  std::string parent_name;  // current_process().name() in the parent
  pid_t parent_pid;
  /// The creator's pidfd when it is not our kernel parent (a forkserver
  /// child's, handed down by the server); -1 otherwise.
  int parent_pidfd = -1;
};

/// The child's entry point (launch_request::child_main). `context` is a
/// child_context. Never returns.
[[noreturn]] void child_main(void* context) noexcept;

/// Runs the child's exit steps and ends it with `code`. Never returns.
[[noreturn]] void finish_child(int code) noexcept;

/// True in a child on the thread that runs run().
bool on_child_main_thread() noexcept;

/// Thrown by multiproc::exit() on the child's main thread to unwind it; not
/// a std::exception, so `catch (const std::exception&)` lets it pass.
struct exit_request {
  int code;
};

}  // namespace multiproc::inline v0::detail
