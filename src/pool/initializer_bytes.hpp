// A pool initializer as bytes, for a worker that shares no memory with its
// pool: a spawned or forkserver worker (pool/spawned_worker.cpp) and an MPI
// agent's worker (mpi/agent_serve.cpp). Inline over the public codec and
// code naming only, so that the separately linked multiproc::mpi needs no
// hidden symbol of a shared libmultiproc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "multiproc/codec.hpp"
#include "multiproc/detail/portable_call.hpp"
#include "multiproc/detail/remote_call.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/pool_initializer.hpp"

namespace multiproc::inline v0::detail {

/// The initializer's code names and encoded arguments; empty for none.
/// Errors: usage_error when it is not portable or its code cannot be
/// named; codec errors from its arguments; std::bad_alloc.
inline std::vector<std::byte> encode_initializer_bytes(
    const multiproc::pool_initializer& initializer) {
  if (!initializer) return {};
  portable_call call;
  if (!initializer.encode_portable(call)) {
    throw usage_error("multiproc: the pool initializer is not portable");
  }
  encoder out;
  out.write(call.entry);
  out.write(static_cast<std::uint8_t>(call.has_function));
  out.write(call.function);
  out.write(call.arguments);
  return std::move(out).take_bytes();
}

/// The initializer as a worker runs it: its code resolved when it runs
/// (resolve_code(): this process's numbering, or through a peer's
/// translation), its arguments decoded by its trampoline; empty for none.
/// Errors: codec errors when the bytes are not an initializer;
/// std::bad_alloc. When it runs: usage_error for code this process lacks
/// (so that the pool reports it as broken rather than the worker failing
/// to start), and whatever fn throws.
inline std::function<void()> decode_initializer_bytes(
    const std::vector<std::byte>& bytes) {
  if (bytes.empty()) return {};
  decoder in(bytes);
  const auto entry = code_ref::unpack(in.read<std::uint64_t>());
  const bool has_function = in.read<std::uint8_t>() != 0;
  const auto function = code_ref::unpack(in.read<std::uint64_t>());
  auto arguments = in.read<std::vector<std::byte>>();
  return [entry, has_function, function, arguments = std::move(arguments)] {
    auto run = reinterpret_cast<portable_entry>(  // NOLINT
        resolve_code(entry));
    run(has_function ? resolve_code(function) : 0,
        encoded_arguments{arguments});
  };
}

}  // namespace multiproc::inline v0::detail
