// multiproc/limits.hpp — cap what one child may use: memory, CPU time,
// open files, file size, core dumps.
//
// A `limits` is given to process_options, async_options, pool_options (every
// worker) or task_options (one pool task). The child applies it right after
// the fork, before any of the user's code runs, with setrlimit(2); the parent
// and every other child keep theirs.
//
//   namespace mp = multiproc;
//   mp::limits caps;
//   caps.data = 256 << 20;                      // bytes of heap and mappings
//   caps.cpu_time = std::chrono::seconds(10);   // then SIGXCPU
//   auto f = mp::async({.limits = caps}, parse, untrusted_file);
//   try {
//     f.get();
//   } catch (const std::bad_alloc&) {           // it hit the memory cap
//   } catch (const mp::process_died& e) {       // "... CPU time limit of 10s
//   }                                           //  reached"
//
// What each cap does when it is reached:
// - address_space (RLIMIT_AS) and data (RLIMIT_DATA): the allocation that
//   would cross it fails, so operator new throws std::bad_alloc in the
//   child, which comes back through a future as itself. Both count what the
//   child inherited from its parent by fork: it starts with the parent's
//   mappings, so a cap must leave room for them.
// - cpu_time (RLIMIT_CPU, soft): the kernel sends SIGXCPU; by default it
//   ends the child, reported as process_died whose what() says the CPU time
//   limit was reached. cpu_time_hard: SIGKILL, reported the same way.
// - open_files (RLIMIT_NOFILE): opening one more fails with EMFILE.
// - file_size (RLIMIT_FSIZE): a write past it raises SIGXFSZ (the child
//   dies, reported as the file size limit), or fails with EFBIG where the
//   child ignores SIGXFSZ.
// - core_dumps (RLIMIT_CORE): off unless asked for, see below.
//
// A cap is never raised above what the parent has: asking for more than the
// parent's hard limit throws std::system_error (EPERM) at the call, and
// nothing is started. A zero cap, or a hard CPU limit below the soft one, is
// a usage_error. Linux only; no privilege needed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// Resource caps for one child (or one pool task). Every field empty: that
/// resource keeps the limit the child inherits.
/// Python: none in multiprocessing; what a `resource.setrlimit()` call at
/// the top of the target would do, applied before the target runs.
struct limits {
  /// Bytes of address space (RLIMIT_AS). Counts every mapping, reserved or
  /// not: sanitizers and JITs reserve terabytes and cannot run under it
  /// (prefer `data`). Python: resource.RLIMIT_AS.
  std::optional<std::uint64_t> address_space{};
  /// Bytes of data: heap and private writable mappings (RLIMIT_DATA, which
  /// counts mmap since Linux 4.7). Python: resource.RLIMIT_DATA.
  std::optional<std::uint64_t> data{};
  /// CPU time (user + system) after which the kernel sends SIGXCPU
  /// (RLIMIT_CPU soft limit; whole seconds, as the kernel counts them).
  /// For a pool task it counts from the start of the task.
  /// Python: resource.RLIMIT_CPU (soft).
  std::optional<std::chrono::seconds> cpu_time{};
  /// CPU time after which the kernel sends SIGKILL (RLIMIT_CPU hard). Empty:
  /// cpu_time plus one second, so a child that catches SIGXCPU still ends.
  /// Not allowed on a pool task (whose worker keeps its own hard limits).
  /// Python: resource.RLIMIT_CPU (hard).
  std::optional<std::chrono::seconds> cpu_time_hard{};
  /// Most open file descriptors: an fd numbered this or higher cannot be
  /// made (RLIMIT_NOFILE; EMFILE). Python: resource.RLIMIT_NOFILE.
  std::optional<std::uint64_t> open_files{};
  /// Largest file the child may write, in bytes (RLIMIT_FSIZE; SIGXFSZ or
  /// EFBIG). Python: resource.RLIMIT_FSIZE.
  std::optional<std::uint64_t> file_size{};
  /// Whether a crash may write a core file (RLIMIT_CORE). Off by default
  /// whenever limits are given: SIGXCPU and SIGXFSZ, the signals two of the
  /// caps send, dump core by default, and a child stopped for using too
  /// much would otherwise write a core file as large as what it used. True
  /// leaves the inherited limit alone. Python: resource.RLIMIT_CORE.
  bool core_dumps = false;
};

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
