#include "posix/program_name.hpp"

#include <sys/prctl.h>
#include <unistd.h>

#include <cstring>

namespace multiproc::inline v0::detail {

void name_after_program() noexcept {
  char path[4096];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) return;
  path[n] = '\0';
  const char* slash = std::strrchr(path, '/');
  const char* base = slash != nullptr ? slash + 1 : path;
  // The kernel keeps 15 bytes and a terminator (TASK_COMM_LEN); it cuts a
  // longer name itself, as exec does. Not through sys.hpp: an injected
  // prctl failure is meant for the calls whose failure matters.
  (void)::prctl(PR_SET_NAME, base, 0UL, 0UL, 0UL);
}

}  // namespace multiproc::inline v0::detail
