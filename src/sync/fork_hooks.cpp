// What fork() does to Part 4a's state, installed once the arena is mapped.
//
// pthread_atfork handlers run for every fork() of the process — the
// library's launcher, a pool's workers and a user's own fork() alike — so a
// child made any way is a participant with its own liveness token before
// its first instruction of user code (API.md: "a process made another way
// holds it from its first use" is met at once).
#include <pthread.h>

#include <atomic>
#include <exception>

#include "sync/arena.hpp"
#include "sync/holdings.hpp"
#include "sync/participants.hpp"

namespace multiproc::inline v0::detail::sync {
namespace {

std::atomic<bool> g_installed{false};

void before_fork() noexcept {
  arena_before_fork();
  holdings_before_fork();
}
void in_parent() noexcept {
  holdings_after_fork_in_parent();
  arena_after_fork_in_parent();
}
void in_child() noexcept {
  holdings_after_fork_in_child();
  arena_after_fork_in_child();
  // The child's only thread claims the child's token now, so the token
  // lives exactly as long as the child's initial thread.
  if (arena_if_mapped() != nullptr) claim_after_fork();
}

}  // namespace

void on_arena_mapped() noexcept {
  if (g_installed.exchange(true)) return;
  // pthread_atfork fails only with ENOMEM; then children are not counted
  // in as holders (their cells could be reused under them) — so there is
  // nothing safe to do but stop.
  if (pthread_atfork(before_fork, in_parent, in_child) != 0) std::terminate();
}

}  // namespace multiproc::inline v0::detail::sync
