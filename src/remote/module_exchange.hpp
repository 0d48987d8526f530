// The module table as another process of the same program sees it: what a
// handshake sends (each loaded module's index, path and GNU build-id), and
// the map a receiver builds from it to turn the sender's code_refs into
// its own. Forkserver, spawn (Part 5) and MPI agents need this: an exec
// loads the same files at other bases, possibly in another order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "multiproc/detail/remote_call.hpp"

namespace multiproc::inline v0::detail::remote {

/// One module of a table, as sent to a peer.
struct module_record {
  std::uint32_t index = 0;  // its number in the sender's table
  std::string path;
  std::string build_id;  // raw bytes; empty when the file has none
  bool main_program = false;
};

/// The modules loaded in this process now, with their table indexes.
/// Errors: std::bad_alloc.
std::vector<module_record> describe_modules();

/// The records as bytes, and back.
/// Errors: encode: std::bad_alloc; decode: codec_error (truncated input).
std::vector<std::byte> encode_modules(const std::vector<module_record>& table);
std::vector<module_record> decode_modules(std::span<const std::byte> bytes);

/// Renumbers this process's table so that each module the creator `peer`
/// lists takes the creator's index (matched as module_map does; one the
/// creator has and we lack becomes an unloaded entry under the creator's
/// name), and ours that it lacks come after. Called by a process started
/// by exec (spawn) before it names or resolves any code: then every
/// code_ref its creator sends, a pool task's entry and the function
/// pointers inside its payload included, means here what it means there,
/// exactly as in a fork, whose child inherits the table. Errors:
/// std::bad_alloc.
void adopt_numbering(const std::vector<module_record>& peer);

/// Maps a peer's module numbers to ours, module by module by build-id (the
/// executables to each other, the rest by build-id, preferring the same
/// path). A module that cannot be matched is recorded, not refused: only
/// code in it is (to_local).
class module_map {
 public:
  /// Errors: std::bad_alloc.
  explicit module_map(const std::vector<module_record>& peer);

  /// The code_ref in this process of the peer's `peer_ref`.
  /// Errors: usage_error naming the file when its module has no match here
  /// (not loaded, another build-id, or without a build-id), or when the
  /// peer's table has no such module.
  code_ref to_local(code_ref peer_ref) const;
  /// The peer's module numbers that have no match here. Errors:
  /// std::bad_alloc.
  std::vector<std::uint32_t> unmatched() const;

 private:
  struct entry {
    std::uint32_t local = code_ref::kNoModule;
    std::string refusal;  // why there is no local module
  };
  std::vector<entry> by_peer_index_;
};

}  // namespace multiproc::inline v0::detail::remote
