#include "mpi/local_workers.hpp"

#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <utility>

#include "multiproc/detail/pool_engine.hpp"
#include "multiproc/detail/remote_call.hpp"
#include "pool/initializer_bytes.hpp"
#include "posix/sys.hpp"
#include "remote/module_exchange.hpp"

namespace multiproc::inline v0::detail::mpi {
namespace {

// Set in each local worker by its first step (start_local_worker).
std::optional<int> worker_rank;

// Rank 0's modules as this worker matches them, for its tasks' code names
// (set_peer_code_translation takes a plain function). Built once, in the
// worker, and kept for its life.
const remote::module_map* client_modules = nullptr;

code_ref from_client(code_ref ref) { return client_modules->to_local(ref); }

// API.md: "Workers raise their own oom_score_adj by 500, so that under
// memory pressure the kernel kills a worker (one task fails), not an
// agent." Raising it needs no privilege; a system without the file (or
// that refuses) leaves the worker as it was, which costs nothing but that
// preference.
void prefer_this_worker_under_memory_pressure() noexcept {
  const int fd = ::open("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  char text[16] = {};
  const ssize_t n = ::pread(fd, text, sizeof text - 1, 0);
  if (n > 0) {
    const int raised = std::min(std::atoi(text) + 500, 1000);
    const int length = std::snprintf(text, sizeof text, "%d", raised);
    (void)::pwrite(fd, text, static_cast<std::size_t>(length), 0);
  }
  ::close(fd);
}

// The pool initializer of every local worker: see local_worker_initializer.
// Its arguments come as the stored lvalues.
void start_local_worker(int rank, const std::vector<std::byte>& modules,
                        const std::vector<std::byte>& user_initializer) {
  worker_rank = rank;
  // A worker inherits its forkserver's timer slack, not the agent's 1 ns
  // (use_exact_naps); set the system's default anyway, so that the rule
  // holds whoever made the worker.
  sys::prctl(PR_SET_TIMERSLACK, 0);
  prefer_this_worker_under_memory_pressure();
  if (!modules.empty()) {
    // Leaked on purpose: the translation is used until the worker exits.
    client_modules = new remote::module_map(remote::decode_modules(modules));
    set_peer_code_translation(&from_client);
  }
  if (std::function<void()> user = decode_initializer_bytes(user_initializer)) {
    user();
  }
}

}  // namespace

multiproc::pool_initializer local_worker_initializer(
    int rank, std::vector<std::byte> client_modules,
    std::vector<std::byte> user_initializer) {
  return {&start_local_worker, rank, std::move(client_modules),
          std::move(user_initializer)};
}

std::shared_ptr<worker_backend> local_worker_backend() {
  return pool_engine::default_backend(multiproc::start_method::forkserver);
}

std::optional<int> rank_of_this_worker() noexcept { return worker_rank; }

}  // namespace multiproc::inline v0::detail::mpi
