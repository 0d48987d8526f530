// The per-process book of processes: who we are, who made us, the children
// we have started and not yet reaped, and the counter that names them.
//
// There is one registry per process. A child starts with a fresh one
// (counter at 1, no children, itself as the current process) made by
// reset_in_child(); the parent's copy, inherited through fork, is abandoned
// untouched because another thread may have held its lock at fork time.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "multiproc/process.hpp"

namespace multiproc::inline v0::detail {

struct process_state;

class registry {
 public:
  /// This process's registry; made on first use in the main process.
  static registry& get();

  /// What a child knows of its creator. Points into the child's copy of
  /// the parent's start() frame, which stays valid because the child never
  /// returns from it.
  struct creator {
    const std::string* name;
    pid_t pid;
    /// A proven pidfd of the creator, taken over by parent_process(), when
    /// the creator is not our kernel parent (a forkserver child); -1: it
    /// is, and the pidfd is opened and checked against getppid().
    int pidfd = -1;
  };

  /// Replaces this process's registry right after fork, in the child.
  /// Allocates nothing: a child's first microseconds are on the critical
  /// path of every start+join, and malloc in a fresh child is slow
  /// (copy-on-write faults on the heap's pages).
  static void reset_in_child(std::shared_ptr<process_state> self,
                             creator parent) noexcept;

  /// Consumes the next counter value and returns the identity for a new
  /// process object: ours plus the counter (Python's _identity).
  std::vector<unsigned> next_identity();

  const std::shared_ptr<process_state>& current() const { return current_; }
  /// parent_process(): empty in the main process; in a child, a view of
  /// the creator made on first use.
  std::shared_ptr<process_state> parent();
  bool is_current(const process_state* state) const {
    return state == current_.get();
  }

  /// Tracks a started child until it is reaped: the registry's reference
  /// keeps a child whose handles are all gone joinable at exit.
  void add_child(std::shared_ptr<process_state> child);
  void forget_child(const process_state* child);
  std::vector<std::shared_ptr<process_state>> children();

  /// The exit steps of CPython's util._exit_function: send SIGTERM to the
  /// daemon children, then join every child. Run at normal program exit
  /// and at the end of every child. Does nothing in a process that merely
  /// inherited this registry through a raw fork().
  void finish_children() noexcept;

  /// A step finish_children() runs before its own (the pools use it to
  /// finish their work before their workers, daemon children, get
  /// SIGTERM), given the deadline of the exit policy (empty: none). Set
  /// once; later calls with the same step do nothing.
  using exit_step = void (*)(std::optional<steady_deadline>) noexcept;
  static void set_first_exit_step(exit_step step) noexcept;

 private:
  registry(std::shared_ptr<process_state> current,
           std::optional<creator> parent) noexcept;

  /// The process this registry belongs to. A raw fork() (not a multiproc
  /// child) inherits a copy of it, with our children in it; that copy must
  /// not act on them.
  const pid_t owner_;
  std::mutex mutex_;
  unsigned counter_ = 0;
  std::shared_ptr<process_state> current_;
  std::optional<creator> creator_;
  std::shared_ptr<process_state> parent_;  // made from creator_ on first use
  std::unordered_map<const process_state*, std::shared_ptr<process_state>>
      children_;
};

}  // namespace multiproc::inline v0::detail
