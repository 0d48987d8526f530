#include "mpi/poll_wait.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <thread>

#include "posix/sys.hpp"

namespace multiproc::inline v0::detail::mpi {

void use_exact_naps() noexcept { sys::prctl(PR_SET_TIMERSLACK, 1); }

bool poll_until(const std::function<bool()>& ready,
                std::chrono::steady_clock::time_point deadline,
                std::chrono::microseconds spin) {
  using clock = std::chrono::steady_clock;
  const auto spin_until = clock::now() + spin;
  auto nap = std::chrono::microseconds(20);
  for (;;) {
    if (ready()) return true;
    const auto now = clock::now();
    if (now >= deadline) return false;
    if (now < spin_until) {
      std::this_thread::yield();  // spin without starving other processes
      continue;
    }
    std::this_thread::sleep_for(nap);
    nap = std::min(nap * 2, std::chrono::microseconds(1000));
  }
}

}  // namespace multiproc::inline v0::detail::mpi
