// process::start() for callers inside the library that know more about the
// launch than a user can say: the pool, whose dispatcher thread outlives
// its workers and blocks every signal. Its hints travel as an argument, so
// that `process` and its state carry none of them.
#pragma once

#include "launch/launcher.hpp"

namespace multiproc::inline v0 {
class process;
}

namespace multiproc::inline v0::detail {

/// As self.start(), launched with `options`. `options.signal_mask` need
/// only outlive the call. Errors: as process::start().
void start_process(process& self, const launch_options& options);

}  // namespace multiproc::inline v0::detail
