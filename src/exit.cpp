// multiproc::exit — Python's sys.exit for C++ processes.
#include <cstdlib>

#include "child_main.hpp"
#include "multiproc/process.hpp"
#include "process_state.hpp"
#include "registry.hpp"

namespace multiproc::inline v0 {

void exit(int code) {
  if (detail::registry::get().current()->kind == detail::process_kind::main) {
    std::exit(code);  // exit-time joins run from the atexit handler
  }
  if (detail::on_child_main_thread()) {
    throw detail::exit_request{code};  // unwinds run(), like SystemExit
  }
  detail::finish_child(code);
}

}  // namespace multiproc::inline v0
