// Reads the loaded modules from the dynamic linker (dl_iterate_phdr), with
// each one's executable segments and GNU build-id.
#include <elf.h>
#include <link.h>
#include <sys/auxv.h>

#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "remote/module_table.hpp"

namespace multiproc::inline v0::detail::remote {
namespace {

std::size_t align_up(std::size_t n, std::size_t alignment) {
  return (n + alignment - 1) & ~(alignment - 1);
}

// The NT_GNU_BUILD_ID note of a PT_NOTE segment, or "". Notes are packed
// at the segment's alignment: 4 bytes usually, 8 for the segment that
// newer linkers give the .note.gnu.property note (which may hold the
// build-id too).
std::string build_id_in(const std::byte* notes, std::size_t size,
                        std::size_t alignment) {
  if (alignment != 8) alignment = 4;
  std::size_t at = 0;
  while (at + sizeof(ElfW(Nhdr)) <= size) {
    ElfW(Nhdr) note{};
    std::memcpy(&note, notes + at, sizeof note);
    const std::size_t name_at = at + sizeof note;
    const std::size_t desc_at = name_at + align_up(note.n_namesz, alignment);
    const std::size_t next = desc_at + align_up(note.n_descsz, alignment);
    if (desc_at + note.n_descsz > size) break;  // truncated: not trusted
    if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
        std::memcmp(notes + name_at, "GNU", 4) == 0) {
      return std::string(reinterpret_cast<const char*>(notes + desc_at),
                         note.n_descsz);
    }
    at = next;
  }
  return {};
}

struct scan {
  std::vector<module_info> modules;
  unsigned long long adds = 0;
  unsigned long long subs = 0;
  std::exception_ptr error;  // bad_alloc must not unwind through libc
};

int add_module(dl_phdr_info* info, std::size_t, void* context) {
  auto& out = *static_cast<scan*>(context);
  try {
    const bool first = out.modules.empty();
    out.adds = info->dlpi_adds;
    out.subs = info->dlpi_subs;
    module_info module;
    module.base = info->dlpi_addr;
    module.main_program = first;
    if (info->dlpi_name != nullptr && info->dlpi_name[0] != '\0') {
      module.path = info->dlpi_name;
    } else if (first) {
      // The executable has no name in the link map; AT_EXECFN is the path
      // it was started by (a name for messages: matching is by build-id).
      // getauxval gives the string's address as an integer.
      const auto* exec_fn =
          // NOLINTNEXTLINE(performance-no-int-to-ptr)
          reinterpret_cast<const char*>(::getauxval(AT_EXECFN));
      module.path = exec_fn != nullptr ? exec_fn : "(the program)";
    } else {
      module.path = "(unnamed module)";
    }
    for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
      const ElfW(Phdr)& segment = info->dlpi_phdr[i];
      if (segment.p_type == PT_LOAD && (segment.p_flags & PF_X) != 0) {
        module.code.push_back(
            {segment.p_vaddr, segment.p_vaddr + segment.p_memsz});
      } else if (segment.p_type == PT_NOTE && module.build_id.empty()) {
        // The notes are mapped at the load base plus their address in the
        // file, which the program header gives as a number.
        // NOLINTNEXTLINE(performance-no-int-to-ptr)
        const auto* notes = reinterpret_cast<const std::byte*>(info->dlpi_addr +
                                                               segment.p_vaddr);
        module.build_id = build_id_in(notes, segment.p_memsz, segment.p_align);
      }
    }
    out.modules.push_back(std::move(module));
    return 0;
  } catch (...) {
    out.error = std::current_exception();
    return 1;
  }
}

}  // namespace

std::vector<module_info> scan_loaded_modules(unsigned long long& adds,
                                             unsigned long long& subs) {
  scan out;
  out.modules.reserve(32);
  ::dl_iterate_phdr(&add_module, &out);
  if (out.error) std::rethrow_exception(out.error);
  adds = out.adds;
  subs = out.subs;
  return std::move(out.modules);
}

std::string hex(const std::string& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text;
  text.reserve(bytes.size() * 2);
  for (char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    text += kDigits[byte >> 4];
    text += kDigits[byte & 0xf];
  }
  return text;
}

}  // namespace multiproc::inline v0::detail::remote
