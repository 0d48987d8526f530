// This process's holdings of arena cells, for the fork handlers.
#pragma once

namespace multiproc::inline v0::detail::sync {

/// Before fork: count the child in as a holder of everything this process
/// holds, and keep the list still until after_fork_*() (fork_hooks.cpp).
void holdings_before_fork() noexcept;
void holdings_after_fork_in_parent() noexcept;
void holdings_after_fork_in_child() noexcept;

}  // namespace multiproc::inline v0::detail::sync
