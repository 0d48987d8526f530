// start() under a method other than fork: the checks Python makes when it
// pickles a Process (here: is the target portable, is it a plain process)
// and the request a child that shares no memory with us is sent.
#pragma once

#include <span>
#include <string>
#include <vector>

#include "launch/launcher.hpp"
#include "launch/portable_request.hpp"
#include "multiproc/process.hpp"
#include "multiproc/start_method.hpp"
#include "posix/unique_fd.hpp"
#include "process_state.hpp"

namespace multiproc::inline v0::detail {

/// What starting a process under forkserver or spawn sends: the request,
/// and the fds to pass, the caller's and, for large arguments, their file
/// (launch/argument_file.hpp; kept open here until the launch is done).
struct portable_start {
  portable_request request;
  unique_fd arguments_file;
  std::vector<passed_fd> fds;
};

/// Fills `out` for starting `self` (state `s`, its name already made)
/// under `method`, passing `fds`. Errors: usage_error for a subclass
/// object or a target that cannot travel (API.md's messages), or one whose
/// code cannot be named; std::system_error when the arguments' file cannot
/// be made or written; std::bad_alloc.
void make_portable_start(const process& self, const process_state& s,
                         start_method method, const std::string& parent_name,
                         std::span<const passed_fd> fds, portable_start& out);

}  // namespace multiproc::inline v0::detail
