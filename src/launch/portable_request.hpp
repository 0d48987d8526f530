// The portable form of a launch request: what a child that shares no
// memory with its creator (a forkserver's or a spawn child, API.md Part 5)
// must be told, as bytes, since a pointer into the parent's stack, the
// registry's `creator` and the pool's initializer pointer do not survive an
// exec. Fork ignores it: its child reads all this from its copy of the
// parent's memory (launch_request::context).
//
// The fds the child gets travel beside the bytes (SCM_RIGHTS to a
// forkserver, inheritance by a spawn child), in the order of
// launch_request::fds; the bytes carry the numbers they take in the child.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "launch/launcher.hpp"

namespace multiproc::inline v0::detail {

/// What the child's registry starts from (registry::reset_in_child) and
/// what its launcher arms before the target runs.
struct portable_context {
  std::string name;         // current_process().name() in the child
  std::string parent_name;  // parent_process().name()
  pid_t creator_pid = 0;    // parent_process().pid(), and the pdeathsig check
  std::vector<unsigned> identity;  // Python's _identity
  bool daemon = false;
  bool kill_on_parent_death = false;

  friend bool operator==(const portable_context&,
                         const portable_context&) = default;
};

struct portable_request {
  portable_context context;
  /// The target, as names of code both programs have (its trampoline and,
  /// for a function pointer, the function): opaque here, made and resolved
  /// by the naming of code across processes (module build-id and offset).
  std::vector<std::byte> target;
  /// The target's arguments, encoded by the codec; empty when they are in
  /// a file of their own (below).
  std::vector<std::byte> arguments;
  /// The child's number of the passed fd whose file holds the encoded
  /// arguments, or -1 when they are `arguments`. Large arguments travel
  /// that way (launch/argument_file.hpp): the child maps them, so neither
  /// the request's nested encodings nor the forkserver copy them.
  std::int32_t arguments_fd = -1;
  /// The register_exception entries that existed at start(), each named
  /// as code the same way as the target: a child knows the registrations
  /// that existed when it was started, under every method.
  std::vector<std::vector<std::byte>> registrations;

  friend bool operator==(const portable_request&,
                         const portable_request&) = default;
};

/// The bytes to send: `request`, and the child-side numbers of `fds`.
/// Errors: std::bad_alloc.
std::vector<std::byte> encode_portable_request(const portable_request& request,
                                               std::span<const passed_fd> fds);

struct decoded_request {
  portable_request request;
  /// Where the fds that came with the bytes go in the child, in order.
  std::vector<int> child_fds;
};

/// Reads what encode_portable_request() wrote.
/// Errors: multiproc::codec_error when the bytes are not such a request
/// (wrong marker or version, short, or with bytes left over).
decoded_request decode_portable_request(std::span<const std::byte> bytes);

}  // namespace multiproc::inline v0::detail
