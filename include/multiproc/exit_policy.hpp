// multiproc/exit_policy.hpp — a bound on how long the end of a process
// waits for its children.
//
// When a program (or any multiproc child) ends normally, its daemon
// children get SIGTERM and then every child is joined, as Python's
// multiprocessing does at exit. Python waits without limit: a daemon child
// that ignores SIGTERM, or a non-daemon child that never ends, hangs the
// program's exit forever (CPython gh-108645; spec §6 P9). That stays the
// default. Opting in to a bounded policy makes the exit steps:
//
//   1. SIGTERM to the daemon children (as by default);
//   2. join every child until `join_timeout` has passed;
//   3. SIGTERM to every child still running, and wait `terminate_grace`;
//   4. SIGKILL to whatever still runs, and reap it.
//
//   namespace mp = multiproc;
//   int main() {
//     mp::set_exit_policy({.join_timeout = std::chrono::seconds(5),
//                          .terminate_grace = std::chrono::seconds(1)});
//     ...  // exit now takes at most about 6 s, whatever the children do
//   }
//
// The policy is per process and inherited through fork: a child started
// after the call applies it when it ends, to its own children.
#pragma once

#include <chrono>
#include <optional>

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// How the exit steps of a process treat its children.
/// Python: no equivalent (multiprocessing's atexit handler joins without
/// limit).
struct exit_policy {
  /// How long to join the children before stopping them. Empty: without
  /// limit (Python's behaviour, the default). Zero: stop them at once.
  std::optional<std::chrono::nanoseconds> join_timeout{};
  /// After the timeout: how long children have between SIGTERM and SIGKILL.
  std::chrono::nanoseconds terminate_grace = std::chrono::seconds(1);
};

/// Replaces this process's exit policy. Applies to the exit steps that run
/// after the call: at normal program exit (return from main, std::exit,
/// multiproc::exit) and at the end of every child started afterwards.
/// Negative durations count as zero.
/// Python: no equivalent.
/// Thread safety: any thread. Async-signal safety: yes (two atomic stores).
void set_exit_policy(const exit_policy& policy) noexcept;

/// This process's exit policy (the default: join without limit).
/// Python: no equivalent.
/// Thread safety: any thread. Async-signal safety: yes.
exit_policy get_exit_policy() noexcept;

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
