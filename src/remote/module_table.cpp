// Publishing the module table: snapshots merged from scans, swapped in by
// compare-and-swap.
#include "remote/module_table.hpp"

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>

namespace multiproc::inline v0::detail::remote {
namespace {

// The newest snapshot. Old ones stay reachable through `previous` and are
// never freed: a reader on another thread may still hold one, and there
// is one per dlopen/dlclose the program did, a few hundred bytes each.
std::atomic<const module_snapshot*> current{nullptr};

bool same_module(const module_info& a, const module_info& b) {
  return a.base == b.base && a.path == b.path && a.build_id == b.build_id;
}

// Fills snapshot.ranges from its loaded modules, sorted for find().
void index_ranges(module_snapshot& snapshot) {
  snapshot.ranges.clear();
  for (std::size_t i = 0; i < snapshot.modules.size(); ++i) {
    const module_info& module = snapshot.modules[i];
    if (!module.loaded) continue;
    for (const code_segment& segment : module.code) {
      snapshot.ranges.push_back({module.base + segment.begin,
                                 module.base + segment.end,
                                 static_cast<std::uint32_t>(i)});
    }
  }
  std::sort(snapshot.ranges.begin(), snapshot.ranges.end(),
            [](const code_range& a, const code_range& b) {
              return a.begin < b.begin;
            });
}

// The table after `scan`: known modules keep their index (one reloaded at
// the same base from the same file gets its old one back), new ones are
// appended, those missing from the scan are marked unloaded.
std::unique_ptr<module_snapshot> merge(const module_snapshot* old,
                                       std::vector<module_info> scan,
                                       unsigned long long adds,
                                       unsigned long long subs) {
  auto next = std::make_unique<module_snapshot>();
  next->adds = adds;
  next->subs = subs;
  next->previous = old;
  if (old != nullptr) next->modules = old->modules;
  for (module_info& module : next->modules) module.loaded = false;
  for (module_info& found : scan) {
    auto known = std::find_if(
        next->modules.begin(), next->modules.end(),
        [&](const module_info& m) { return same_module(m, found); });
    if (known != next->modules.end()) {
      known->loaded = true;
      // The first module of a scan is the executable; the flag is the
      // scan's word (a table built before main had it too).
      known->main_program = found.main_program;
    } else {
      next->modules.push_back(std::move(found));
    }
  }
  index_ranges(*next);
  return next;
}

bool scan_matches(const module_snapshot& snapshot,
                  const std::vector<module_info>& scan) {
  std::size_t loaded = 0;
  for (const module_info& module : snapshot.modules) loaded += module.loaded;
  if (loaded != scan.size()) return false;
  return std::all_of(scan.begin(), scan.end(), [&](const module_info& found) {
    return std::any_of(snapshot.modules.begin(), snapshot.modules.end(),
                       [&](const module_info& m) {
                         return m.loaded && same_module(m, found);
                       });
  });
}

}  // namespace

const code_range* module_snapshot::find(std::uintptr_t address) const noexcept {
  // The last range that begins at or before `address`.
  auto after = std::upper_bound(
      ranges.begin(), ranges.end(), address,
      [](std::uintptr_t a, const code_range& r) { return a < r.begin; });
  if (after == ranges.begin()) return nullptr;
  const code_range& range = *(after - 1);
  return address < range.end ? &range : nullptr;
}

const module_snapshot& current_modules() {
  const module_snapshot* snapshot = current.load(std::memory_order_acquire);
  return snapshot != nullptr ? *snapshot : refresh_modules();
}

const module_snapshot& refresh_modules() {
  unsigned long long adds = 0;
  unsigned long long subs = 0;
  std::vector<module_info> scan = scan_loaded_modules(adds, subs);
  const module_snapshot* old = current.load(std::memory_order_acquire);
  for (;;) {
    // Nothing changed (a name or index that is simply not there): publish
    // nothing, so that repeated misses do not grow the chain.
    if (old != nullptr && scan_matches(*old, scan)) return *old;
    std::unique_ptr<module_snapshot> next = merge(old, scan, adds, subs);
    if (current.compare_exchange_weak(old, next.get(),
                                      std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      return *next.release();
    }
    // Another thread published first: merge into its table instead, so
    // that indexes it handed out stay as they are.
  }
}

void renumber_modules(
    const std::function<std::vector<module_info>(const module_snapshot&)>&
        renumber) {
  const module_snapshot* old = &refresh_modules();
  for (;;) {
    auto next = std::make_unique<module_snapshot>();
    next->modules = renumber(*old);
    next->adds = old->adds;
    next->subs = old->subs;
    next->previous = old;
    index_ranges(*next);
    if (current.compare_exchange_weak(old, next.get(),
                                      std::memory_order_acq_rel,
                                      std::memory_order_acquire)) {
      (void)next.release();  // reachable from `current` from now on
      return;
    }
  }
}

}  // namespace multiproc::inline v0::detail::remote
