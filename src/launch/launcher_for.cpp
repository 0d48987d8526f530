#include "launch/launcher_for.hpp"

#include "launch/exec_bootstrap.hpp"
#include "multiproc/errors.hpp"

namespace multiproc::inline v0::detail {

launcher& launcher_for(start_method method) {
  switch (method) {
    case start_method::fork:
      return default_launcher();
    case start_method::spawn:
      return spawn_launcher();
    case start_method::forkserver:
      break;
  }
  throw usage_error(
      "the 'forkserver' start method is not available in this build; use "
      "'spawn' or 'fork'");
}

const char* launch_call_name(start_method method) noexcept {
  return method == start_method::fork ? "fork" : "posix_spawn";
}

}  // namespace multiproc::inline v0::detail
