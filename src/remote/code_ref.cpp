// name_code / resolve_code (multiproc/detail/remote_call.hpp) over the
// module table.
#include <dlfcn.h>
#include <link.h>

#include <atomic>
#include <cstdio>
#include <string>

#include "multiproc/detail/remote_call.hpp"
#include "multiproc/errors.hpp"
#include "posix/this_pid.hpp"
#include "remote/module_table.hpp"

namespace multiproc::inline v0::detail {
namespace {

// Built while the library loads, before main can fork: every child forked
// later inherits this table, so its module numbers are its parent's even
// if the parent dlcloses a library afterwards (a table each process built
// on first use would number the modules after that).
[[maybe_unused]] const bool table_built_at_load =
    (remote::current_modules(), true);

// The range the last name on this thread fell in: a pool's submits name
// the same few functions over and over.
struct last_hit {
  const remote::module_snapshot* snapshot = nullptr;
  remote::code_range range;
};
thread_local last_hit last;

// set_peer_code_translation's: the translation, and the process it holds
// in (a fork inherits both, and its pid tells it that it is not that one).
std::atomic<peer_code_translation> peer_translation{nullptr};
std::atomic<pid_t> peer_translation_pid{0};

std::string address_text(std::uintptr_t address) {
  char text[2 + 16 + 1];
  std::snprintf(text, sizeof text, "%#zx", static_cast<std::size_t>(address));
  return text;
}

// The range of `address` in `snapshot`, or in a new scan when it has none
// (the code is in a library dlopened since the last scan).
const remote::code_range* find_range(std::uintptr_t address,
                                     const remote::module_snapshot*& snapshot) {
  snapshot = &remote::current_modules();
  const remote::code_range* range = snapshot->find(address);
  if (range != nullptr) return range;
  snapshot = &remote::refresh_modules();
  return snapshot->find(address);
}

bool name_in(std::uintptr_t address, code_ref& out) {
  const remote::module_snapshot* snapshot = nullptr;
  const remote::code_range* range = nullptr;
  if (last.snapshot != nullptr && address >= last.range.begin &&
      address < last.range.end && last.snapshot == &remote::current_modules()) {
    range = &last.range;
    snapshot = last.snapshot;
  } else {
    range = find_range(address, snapshot);
    if (range == nullptr || range->module > code_ref::kMaxModule) return false;
    last = {snapshot, *range};
  }
  const std::uint64_t offset = address - snapshot->modules[range->module].base;
  if (offset > code_ref::kOffsetMask) return false;  // does not pack
  out = {range->module, offset};
  return true;
}

bool in_code(const remote::module_info& module, std::uint64_t offset) {
  for (const remote::code_segment& segment : module.code) {
    if (offset >= segment.begin && offset < segment.end) return true;
  }
  return false;
}

#if defined(__GLIBC__) && \
    (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
// False when the dynamic linker has no object at `address` loaded at the
// module's base any more: a dlclose since the table was scanned (another
// library may even be mapped there now). _dl_find_object (glibc 2.35) is
// lock-free, unlike dl_iterate_phdr, whose lock a fork can leave held in a
// worker; so it is asked on every resolve, and the table is rescanned only
// when it says no.
bool still_loaded(const remote::module_info& module,
                  std::uintptr_t address) noexcept {
  dl_find_object found{};
  // NOLINTNEXTLINE(performance-no-int-to-ptr)
  if (::_dl_find_object(reinterpret_cast<void*>(address), &found) != 0) {
    return false;
  }
  return found.dlfo_link_map != nullptr &&
         found.dlfo_link_map->l_addr == module.base;
}
#else
// Without _dl_find_object, a dlclose is noticed only when a later lookup
// misses and rescans.
bool still_loaded(const remote::module_info&, std::uintptr_t) noexcept {
  return true;
}
#endif

std::string module_text(const remote::module_info& module) {
  std::string text = module.path;
  if (!module.build_id.empty()) {
    text += " (build-id " + remote::hex(module.build_id) + ")";
  }
  return text;
}

}  // namespace

bool try_name_code(std::uintptr_t address, code_ref& out) noexcept {
  try {
    return name_in(address, out);
  } catch (...) {  // bad_alloc while scanning
    return false;
  }
}

code_ref name_code(std::uintptr_t address) {
  code_ref ref;
  if (!name_in(address, ref)) {
    throw usage_error("multiproc: the code at " + address_text(address) +
                      " lies in no loaded module, so it cannot be named for "
                      "another process (code generated at run time cannot "
                      "run there)");
  }
  return ref;
}

void set_peer_code_translation(peer_code_translation translate) noexcept {
  peer_translation.store(translate, std::memory_order_release);
  peer_translation_pid.store(this_pid(), std::memory_order_release);
}

std::uintptr_t resolve_code(code_ref ref) {
  if (ref.module == code_ref::kNoModule) {
    throw usage_error(
        "multiproc: the code to run lay in no loaded module of the sender");
  }
  // A fork of the process that set it names code in its own numbering.
  if (peer_code_translation translate =
          peer_translation.load(std::memory_order_acquire);
      translate != nullptr &&
      peer_translation_pid.load(std::memory_order_acquire) == this_pid()) {
    ref = translate(ref);
  }
  const remote::module_snapshot* snapshot = &remote::current_modules();
  if (ref.module >= snapshot->modules.size() ||
      !snapshot->modules[ref.module].loaded ||
      !still_loaded(snapshot->modules[ref.module],
                    snapshot->modules[ref.module].base + ref.offset)) {
    snapshot = &remote::refresh_modules();
  }
  if (ref.module >= snapshot->modules.size()) {
    throw usage_error("multiproc: the code to run is in module #" +
                      std::to_string(ref.module) +
                      ", which this process has never loaded");
  }
  const remote::module_info& module = snapshot->modules[ref.module];
  if (!module.loaded) {
    throw usage_error("multiproc: the code to run is in " +
                      module_text(module) +
                      ", which is no longer loaded in this process");
  }
  if (!in_code(module, ref.offset)) {
    throw usage_error("multiproc: offset " + address_text(ref.offset) +
                      " lies outside the executable segments of " +
                      module_text(module) + " (a corrupt message?)");
  }
  return module.base + ref.offset;
}

std::uint64_t pack_entry(remote_entry entry) noexcept {
  code_ref ref{code_ref::kNoModule, 0};
  try_name_code(reinterpret_cast<std::uintptr_t>(entry), ref);
  return ref.pack();
}

remote_entry unpack_entry(std::uint64_t word) {
  return resolve_function<remote_entry>(code_ref::unpack(word));
}

}  // namespace multiproc::inline v0::detail
