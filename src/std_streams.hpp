// Flushing the standard streams around fork and at a child's exit.
#pragma once

namespace multiproc::inline v0::detail {

/// Flushes std::cout/cerr/clog and stdout/stderr, ignoring failures (a
/// closed stdout must not change anything: CPython test_error_on_stdio_flush).
/// Only these: other FILEs are the user's, and in a child they hold the
/// parent's unwritten data, which the parent writes itself (CPython's
/// util._flush_std_streams does the same).
void flush_standard_streams() noexcept;

}  // namespace multiproc::inline v0::detail
