// Who holds a ring, which sides each holder counts on, and what fork does
// to that (API.md Part 4, "Sides").
//
// Each process that holds a ring has one word in the ring's holders table:
// its participant id (whose liveness the kernel reports, sync/
// participants.hpp) and which sides it has used. The rule: a holder counts
// on both sides, except that once the ring has been held by a second
// process, a holder that has used only one side counts only on that one.
// So a consumer child that only gets, and its parent that only puts, tell
// each other's end apart, while the parent's never-used copy of a child's
// ring counts as both until it calls close().
//
// Fork: the parent's prepare handler claims an entry for the child, marked
// pending under the parent's id (so the child counts from the instant it
// exists, before it has run), and the child's handler puts its own id
// there. A pending entry that no child takes (the child was killed before
// it ran, or fork failed) counts for 3 seconds, then lapses: the one case
// where a peer's end is seen late rather than promptly.
#pragma once

#include "channel/ring_layout.hpp"

namespace multiproc::inline v0::detail::channel {

enum class side { put, get };

/// Enters this process as a holder (the creator). Also installs the fork
/// handlers once. Errors: those of sync::process_participant().
void hold(ring_local& local);

/// Records this process's first use of `which` (cheap after the first).
void note_use(ring_local& local, side which) noexcept;

/// Whether some live holder counts on `which`.
bool side_alive(ring_local& local, side which) noexcept;

/// Pipes: this process stops holding the end counted as `which` (close(),
/// or its last handle to that end gone) and, from then on, counts only on
/// the other, as do the children it starts.
void drop_side(ring_local& local, side which) noexcept;

/// Pipes: counts one wait() watching end `end` (0 or 1) in the header and
/// in this process's entry, whose watches go with the process when it
/// ends. Returns the entry for remove_watch() (-1: none).
int add_watch(ring_local& local, int end) noexcept;
void remove_watch(ring_local& local, int end, int entry) noexcept;

/// This process stops holding the ring (close, or its last handle gone).
void let_go(ring_local& local) noexcept;

// ---- Tasks of a joinable queue (API.md: joinable_queue) -----------------

/// Moves the tasks of ended holders to lost_tasks.
void settle_ended(ring_local& local) noexcept;
/// Tasks got and not finished by live holders (after settle_ended).
std::uint64_t open_tasks(ring_local& local) noexcept;
/// This process got an item (before the item's slot is freed).
void count_task_got(ring_local& local) noexcept;
/// task_done(): one of this process's open tasks, else the oldest of
/// another's; false when there is none anywhere.
bool settle_task(ring_local& local) noexcept;

/// Adds or removes `local` from this process's list for the fork handlers.
void link_local(ring_local& local);
void unlink_local(ring_local& local) noexcept;

}  // namespace multiproc::inline v0::detail::channel
