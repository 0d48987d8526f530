// The build-id handshake of world's constructor (API.md Part 5 Half B,
// "How a function is named across ranks"): rank 0 sends every module it has
// loaded; each agent compares its main executable's build-id with rank 0's
// and answers with its host, its cpu_count() and that build-id. Only a
// different executable is refused here; a differing shared library is
// recorded by remote::module_map and refused when code in it is named.
#pragma once

#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "multiproc/mpi.hpp"
#include "remote/module_exchange.hpp"

namespace multiproc::inline v0::detail::mpi {

/// What an agent answers.
struct agent_answer {
  bool same_executable = false;
  unsigned cpus = 0;
  std::string host;
  std::string main_build_id;  // raw bytes
  /// Rank 0's modules that this agent has no match for (another build-id,
  /// or not loaded there): code in them cannot run on it.
  std::vector<std::uint32_t> unmatched_modules;
};

/// Errors: encode: std::bad_alloc; decode: world_error (truncated).
std::vector<std::byte> encode_answer(const agent_answer& answer);
agent_answer decode_answer(std::span<const std::byte> bytes);

/// The main executable's build-id in a module list (empty when none).
std::string main_build_id(const std::vector<remote::module_record>& modules);

/// What the handshake found: the agents, and which of rank 0's modules
/// (by index in the table it sent, of `modules_sent` entries) differ on
/// which ranks.
struct handshake_result {
  std::vector<multiproc::mpi::world::agent> agents;
  std::size_t modules_sent = 0;
  std::map<std::uint32_t, std::vector<int>> differing;
};

/// Rank 0: sends the modules to every agent and collects the answers.
/// Errors: world_error for the first refusing rank, else the first rank
/// that did not answer before `timeout`; std::bad_alloc.
handshake_result run_handshake(MPI_Comm comm, int size,
                               const multiproc::mpi::world_options& options);

}  // namespace multiproc::inline v0::detail::mpi
