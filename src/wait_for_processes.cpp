// multiproc::wait — Python's multiprocessing.connection.wait on sentinels.
#include <poll.h>

#include <system_error>
#include <vector>

#include "multiproc/process.hpp"
#include "posix/pidfd.hpp"
#include "process_state.hpp"

namespace multiproc::inline v0::detail {

std::vector<process> wait_steady(std::span<const process> processes,
                                 std::optional<steady_deadline> deadline) {
  std::vector<process> ended;
  if (processes.empty() && !deadline) return ended;  // would wait forever
  std::vector<pollfd> fds;
  fds.reserve(processes.size());
  for (const process& p : processes) {
    // sentinel() checks that it is open and started.
    fds.push_back({p.sentinel(), POLLIN, 0});
  }
  int ready = 0;
  if (int err = pidfd::wait_readable(fds, deadline, ready)) {
    throw std::system_error(err, std::generic_category(), "ppoll");
  }
  for (std::size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents != 0) ended.push_back(processes[i]);
  }
  return ended;
}

}  // namespace multiproc::inline v0::detail

namespace multiproc::inline v0 {

std::vector<process> wait(std::span<const process> processes) {
  return detail::wait_steady(processes, std::nullopt);
}

}  // namespace multiproc::inline v0
