// Threads the library runs on its own (the pool's dispatcher, the fork
// launcher's anchor): what they must do so the user's program does not
// notice them.
#pragma once

#include <signal.h>

namespace multiproc::inline v0::detail {

/// Blocks every signal on the calling thread, so that process-directed
/// signals (SIGINT, SIGTERM, SIGCHLD, a user's SIGALRM) are delivered to the
/// user's threads, never to ours. A child such a thread forks must not
/// inherit this mask: see launch_options::signal_mask (src/launch/).
inline void block_all_signals_on_this_thread() noexcept {
  sigset_t all;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, nullptr);
}

/// The calling thread's signal mask.
inline sigset_t signal_mask_of_this_thread() noexcept {
  sigset_t mask;
  ::pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return mask;
}

}  // namespace multiproc::inline v0::detail
