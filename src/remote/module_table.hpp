// The table of this process's loaded ELF modules (the executable, its
// shared libraries, the vDSO): what code_ref's module numbers index.
//
// Why a table of our own: naming code as (module, offset) needs the module
// of an address on every submit(), and dladdr takes the loader's lock and
// walks every module's symbols. Here the modules' executable segments are
// kept sorted, so naming is a binary search (a last-hit cache first), and
// resolving is one array index.
//
// Indexes are append-only: a module keeps its number for the life of the
// process (unloaded, it is marked so, never renumbered), and the table is
// built while the library loads (code_ref.cpp), so a forked child, which
// inherits it, numbers every module its parent had as the parent does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace multiproc::inline v0::detail::remote {

/// One executable PT_LOAD segment, as offsets from the module's load base.
struct code_segment {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;  // one past the last byte
};

/// One loaded ELF object, as dl_iterate_phdr describes it.
struct module_info {
  std::string path;         // the file; the executable's from AT_EXECFN
  std::string build_id;     // NT_GNU_BUILD_ID's bytes; empty when it has none
  std::uintptr_t base = 0;  // dlpi_addr: what offsets are counted from
  std::vector<code_segment> code;
  bool main_program = false;  // the executable (dl_iterate_phdr's first)
  bool loaded = true;         // false once dlclose unloaded it
};

/// An executable address range of a loaded module, for naming.
struct code_range {
  std::uintptr_t begin = 0;
  std::uintptr_t end = 0;
  std::uint32_t module = 0;
};

/// One state of the table. Never changed or freed once published, so a
/// reader needs no lock: it loads the current snapshot and uses it.
struct module_snapshot {
  std::vector<module_info> modules;  // by index
  std::vector<code_range> ranges;    // loaded modules only, sorted by begin
  unsigned long long adds = 0;       // dl_iterate_phdr's dlpi_adds / _subs
  unsigned long long subs = 0;       // when it was scanned
  const module_snapshot* previous = nullptr;  // keeps old ones reachable

  /// The range holding `address`, or nullptr.
  const code_range* find(std::uintptr_t address) const noexcept;
};

/// The modules loaded now, in dl_iterate_phdr's order, with its counters.
/// Errors: std::bad_alloc.
std::vector<module_info> scan_loaded_modules(unsigned long long& adds,
                                             unsigned long long& subs);

/// The current snapshot (built on first use if the load-time build has
/// not run yet). Thread safety: any thread, lock-free.
const module_snapshot& current_modules();

/// Scans the modules again and publishes what changed (a module loaded or
/// unloaded since); returns a snapshot at least as new as that scan.
/// Called when an address or index is not found. Errors: std::bad_alloc.
/// Thread safety: any thread; lock-free (a compare-and-swap publishes), so
/// a fork that happens meanwhile leaves no lock held in the child.
const module_snapshot& refresh_modules();

/// Replaces the table by renumber(the current one): the only change of
/// indexes ever made, for a process started by exec that takes its
/// creator's numbering before it has named any code (module_exchange.hpp,
/// adopt_numbering). `renumber` may run more than once (a concurrent
/// rescan publishes first). Errors: std::bad_alloc, and what renumber
/// throws. Thread safety: any thread; lock-free.
void renumber_modules(
    const std::function<std::vector<module_info>(const module_snapshot&)>&
        renumber);

/// The build-id as lower-case hex, for messages.
std::string hex(const std::string& bytes);

}  // namespace multiproc::inline v0::detail::remote
