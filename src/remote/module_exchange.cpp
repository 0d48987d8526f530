#include "remote/module_exchange.hpp"

#include <algorithm>

#include "multiproc/codec.hpp"
#include "multiproc/errors.hpp"
#include "remote/module_table.hpp"

namespace multiproc::inline v0::detail::remote {
namespace {

// The local loaded module `record` stands for, or kNoModule with the
// reason in `refusal`.
std::uint32_t match(const module_record& record, const module_snapshot& here,
                    std::string& refusal) {
  const std::string name =
      record.main_program ? "the program " + record.path : record.path;
  if (record.build_id.empty()) {
    refusal = name +
              " has no GNU build-id, so its code cannot be named "
              "across processes (link with -Wl,--build-id)";
    return code_ref::kNoModule;
  }
  std::uint32_t found = code_ref::kNoModule;
  const module_info* same_path = nullptr;
  for (std::size_t i = 0; i < here.modules.size(); ++i) {
    const module_info& module = here.modules[i];
    if (!module.loaded) continue;
    const bool same_file =
        record.main_program ? module.main_program : module.path == record.path;
    if (same_file) same_path = &module;
    if (module.build_id != record.build_id) continue;
    if (found == code_ref::kNoModule || same_file) {
      found = static_cast<std::uint32_t>(i);
    }
  }
  if (found != code_ref::kNoModule) return found;
  if (same_path != nullptr) {
    refusal = name + " differs here (build-id " + hex(same_path->build_id) +
              ", the sender's " + hex(record.build_id) + ")";
  } else {
    refusal = name + " (build-id " + hex(record.build_id) +
              ") is not loaded in this process";
  }
  return code_ref::kNoModule;
}

}  // namespace

std::vector<module_record> describe_modules() {
  // Scanned afresh: a handshake is rare, and must not describe a library
  // dlclosed since the last name missed.
  const module_snapshot& table = refresh_modules();
  std::vector<module_record> records;
  for (std::size_t i = 0; i < table.modules.size(); ++i) {
    const module_info& module = table.modules[i];
    if (!module.loaded) continue;
    records.push_back({static_cast<std::uint32_t>(i), module.path,
                       module.build_id, module.main_program});
  }
  return records;
}

std::vector<std::byte> encode_modules(const std::vector<module_record>& table) {
  encoder out;
  out.write_size(table.size());
  for (const module_record& record : table) {
    out.write(record.index);
    out.write(record.path);
    out.write(record.build_id);
    out.write(static_cast<std::uint8_t>(record.main_program));
  }
  return std::move(out).take_bytes();
}

std::vector<module_record> decode_modules(std::span<const std::byte> bytes) {
  decoder in(bytes);
  std::vector<module_record> table(in.read_size(sizeof(std::uint32_t)));
  for (module_record& record : table) {
    record.index = in.read<std::uint32_t>();
    record.path = in.read<std::string>();
    record.build_id = in.read<std::string>();
    record.main_program = in.read<std::uint8_t>() != 0;
  }
  return table;
}

module_map::module_map(const std::vector<module_record>& peer) {
  const module_snapshot& here = refresh_modules();
  for (const module_record& record : peer) {
    if (record.index > code_ref::kMaxModule) continue;  // cannot be named
    if (record.index >= by_peer_index_.size()) {
      by_peer_index_.resize(record.index + 1);
    }
    entry& slot = by_peer_index_[record.index];
    slot.local = match(record, here, slot.refusal);
  }
}

std::vector<std::uint32_t> module_map::unmatched() const {
  std::vector<std::uint32_t> indexes;
  for (std::size_t index = 0; index < by_peer_index_.size(); ++index) {
    const entry& slot = by_peer_index_[index];
    if (slot.local == code_ref::kNoModule && !slot.refusal.empty()) {
      indexes.push_back(static_cast<std::uint32_t>(index));
    }
  }
  return indexes;
}

code_ref module_map::to_local(code_ref peer_ref) const {
  if (peer_ref.module >= by_peer_index_.size() ||
      (by_peer_index_[peer_ref.module].local == code_ref::kNoModule &&
       by_peer_index_[peer_ref.module].refusal.empty())) {
    throw usage_error("multiproc: the code to run is in module #" +
                      std::to_string(peer_ref.module) +
                      ", which the sender's module table does not list");
  }
  const entry& slot = by_peer_index_[peer_ref.module];
  if (slot.local == code_ref::kNoModule) {
    throw usage_error("multiproc: cannot run code from " + slot.refusal);
  }
  return {slot.local, peer_ref.offset};
}

void adopt_numbering(const std::vector<module_record>& peer) {
  renumber_modules([&peer](const module_snapshot& here) {
    std::size_t size = 0;
    for (const module_record& record : peer) {
      if (record.index <= code_ref::kMaxModule) {
        size = std::max<std::size_t>(size, record.index + 1);
      }
    }
    // Indexes the creator no longer uses stay unloaded placeholders.
    std::vector<module_info> numbered(size);
    for (module_info& placeholder : numbered) placeholder.loaded = false;
    std::vector<bool> taken(here.modules.size(), false);
    for (const module_record& record : peer) {
      if (record.index > code_ref::kMaxModule) continue;
      std::string refusal;
      const std::uint32_t local = match(record, here, refusal);
      module_info& slot = numbered[record.index];
      if (local != code_ref::kNoModule && !taken[local]) {
        slot = here.modules[local];
        taken[local] = true;
      } else {
        slot.path = record.path;  // named in the message of a resolve
        slot.build_id = record.build_id;
      }
    }
    for (std::size_t i = 0; i < here.modules.size(); ++i) {
      if (!taken[i]) numbered.push_back(here.modules[i]);
    }
    return numbered;
  });
}

}  // namespace multiproc::inline v0::detail::remote
