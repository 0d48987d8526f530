#include "launch/launcher_for.hpp"

#include "launch/exec_bootstrap.hpp"

namespace multiproc::inline v0::detail {

launcher& launcher_for(start_method method) noexcept {
  switch (method) {
    case start_method::fork:
      break;
    case start_method::forkserver:
      return forkserver_launcher();
    case start_method::spawn:
      return spawn_launcher();
  }
  return default_launcher();
}

const char* launch_call_name(start_method method) noexcept {
  switch (method) {
    case start_method::fork:
      break;
    case start_method::forkserver:
      return "forkserver";
    case start_method::spawn:
      return "posix_spawn";
  }
  return "fork";
}

}  // namespace multiproc::inline v0::detail
