// How many threads this process has now: the forkserver refuses to serve
// from a program that started threads before its guard (API.md Part 5).
#pragma once

namespace multiproc::inline v0::detail {

/// The number of threads of this process (/proc/self/task), or -1 when
/// /proc cannot be read.
int thread_count() noexcept;

}  // namespace multiproc::inline v0::detail
