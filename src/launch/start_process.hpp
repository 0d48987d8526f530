// process::start() for callers inside the library that know more about the
// launch than a user can say: the pool, whose dispatcher thread outlives
// its workers and blocks every signal. Its hints travel as an argument, so
// that `process` and its state carry none of them.
#pragma once

#include <span>

#include "launch/launcher.hpp"

namespace multiproc::inline v0 {
class process;
}

namespace multiproc::inline v0::detail {

/// As self.start(), launched with `options`; the child also gets `fds`
/// (launch_request::fds: a spawn child's only way to share an fd with us,
/// since it inherits no other). `options.signal_mask` and `fds` need only
/// outlive the call. Errors: as process::start().
void start_process(process& self, const launch_options& options,
                   std::span<const passed_fd> fds = {});

}  // namespace multiproc::inline v0::detail
