// start() under a method other than fork: the checks Python makes when it
// pickles a Process (here: is the target portable, is it a plain process)
// and the request a child that shares no memory with us is sent.
#pragma once

#include <string>

#include "launch/portable_request.hpp"
#include "multiproc/process.hpp"
#include "multiproc/start_method.hpp"
#include "process_state.hpp"

namespace multiproc::inline v0::detail {

/// Fills `out` for starting `self` (state `s`, its name already made)
/// under `method`. Errors: usage_error for a subclass object or a target
/// that cannot travel (API.md's messages), or one whose code cannot be
/// named; std::bad_alloc.
void make_portable_request(const process& self, const process_state& s,
                           start_method method, const std::string& parent_name,
                           portable_request& out);

}  // namespace multiproc::inline v0::detail
