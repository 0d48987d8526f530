// How start() picks its method, inside the library.
#pragma once

#include <optional>

#include "multiproc/start_method.hpp"

namespace multiproc::inline v0::detail {

/// The method a start uses: `chosen` (process_options::start_method), else
/// the default now. Marks the default as fixed, so that a later
/// set_start_method() without force is refused, as in Python.
start_method resolve_start_method(std::optional<start_method> chosen) noexcept;

}  // namespace multiproc::inline v0::detail
