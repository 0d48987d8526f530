// get_context() and the names of a context's processes.
#include "multiproc/context.hpp"

#include <mutex>
#include <string>

#include "launch/forkserver_client.hpp"
#include "multiproc/errors.hpp"
#include "process_state.hpp"

namespace multiproc::inline v0 {
namespace detail {

void name_for_context(process& self, start_method method) {
  process_state& s = *self.state();
  std::string name = method == start_method::fork    ? "ForkProcess-"
                     : method == start_method::spawn ? "SpawnProcess-"
                                                     : "ForkServerProcess-";
  for (std::size_t i = 0; i < s.identity.size(); ++i) {
    if (i != 0) name += ':';
    name += std::to_string(s.identity[i]);
  }
  std::lock_guard lock(s.mutex);
  if (s.name.empty()) s.name = std::move(name);
}

}  // namespace detail

context get_context() {
  detail::serve_if_started_by_exec();  // a guard, as set_start_method
  return context(get_start_method());
}

context get_context(start_method method) {
  detail::serve_if_started_by_exec();
  if (method == start_method::forkserver) detail::start_forkserver_early();
  return context(method);
}

}  // namespace multiproc::inline v0
