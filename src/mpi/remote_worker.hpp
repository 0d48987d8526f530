// The pool's second worker back end (pool/worker_backend.hpp): a worker
// hosted by an MPI agent. The dispatcher drives it exactly as a fork
// worker: frames go out (posted to the world's MPI thread, client_relay),
// frames come in (the link's buffer, signalled on an eventfd), a death
// comes as the agent's report (another eventfd) with the worker's exit
// code, and signals travel as records. So process_died, timeouts, cancel()
// and terminate() are the dispatcher's own logic, unchanged.
//
// The slot page is a mirror kept on rank 0: the dispatcher marks it as it
// does a shared page, and it is brought up to date by what the worker
// says: `started` (a timed task began: its clock runs from when rank 0
// hears it, so two hosts' clocks are never compared), the results, and at
// a death the slots whose tasks had started. Every cancel goes to the
// agent (settle_cancel), which drops the task, or kills the worker if it
// had started meanwhile, and answers; cancel() returns after the answer.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "mpi/client_relay.hpp"
#include "mpi/relay_records.hpp"
#include "pool/worker_backend.hpp"

namespace multiproc::inline v0::detail::mpi {

/// Where a pool's workers go: rank 0 (client_processes, local workers)
/// and each agent, with as many workers each as `processes` says.
struct remote_placement {
  struct host {
    int rank = 0;
    unsigned processes = 0;
  };
};

/// The back end of one mpi::pool with agents. Each spawn puts the worker
/// on the host with the most room left (replacements go where the dead
/// worker was). Errors: spawn: std::system_error (eventfds, or a local
/// worker's start), std::bad_alloc.
std::shared_ptr<worker_backend> make_remote_backend(
    std::shared_ptr<client_relay> relay,
    std::vector<remote_placement::host> hosts,
    std::vector<std::byte> initializer, unsigned max_tasks_per_child);

}  // namespace multiproc::inline v0::detail::mpi
