// This process's pid, without a system call.
//
// glibc stopped caching getpid() (2.25), and the library asks for it on
// every is_alive(), join() and start() to check that the caller is the
// creator. A pthread_atfork child handler keeps the cache right in every
// fork() child (ours and the user's).
#pragma once

#include <sys/types.h>

namespace multiproc::inline v0::detail {

/// Equals getpid(). Async-signal-safe after the first call.
pid_t this_pid() noexcept;

}  // namespace multiproc::inline v0::detail
