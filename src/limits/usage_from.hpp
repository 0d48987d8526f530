// The kernel's struct rusage (wait4(2), getrusage(2)) in the library's
// units (multiproc/usage.hpp).
#pragma once

#include <sys/resource.h>

#include "multiproc/usage.hpp"

namespace multiproc::inline v0::detail {

/// The kernel's record, in the library's units.
usage usage_from(const rusage& used) noexcept;
/// What was used between two getrusage(RUSAGE_SELF) calls; `max_rss` is the
/// later one's (a high-water mark has no difference).
usage usage_between(const rusage& before, const rusage& after) noexcept;

}  // namespace multiproc::inline v0::detail
