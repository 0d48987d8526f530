#include "launch/spawn_self.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>
#include <vector>

#include "launch/exec_bootstrap.hpp"
#include "launch/kernel_child.hpp"
#include "posix/sys.hpp"

extern char** environ;  // NOLINT(readability-redundant-declaration)

namespace multiproc::inline v0::detail {

int spawn_self(const spawn_file_actions& actions,
               const spawn_attributes& attributes, const std::string& marker,
               std::unique_ptr<child_handle>& out) noexcept {
  try {
    const std::string entry = std::string(kExecMarker) + "=" + marker;
    const std::size_t prefix = std::strlen(kExecMarker) + 1;
    std::vector<char*> env;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      if (std::strncmp(*e, entry.c_str(), prefix) != 0) env.push_back(*e);
    }
    env.push_back(const_cast<char*>(entry.c_str()));
    env.push_back(nullptr);
    static char self_path[] = "/proc/self/exe";
    char* fallback_argv[] = {self_path, nullptr};
    char* const* argv = program_arguments();
    if (argv == nullptr || argv[0] == nullptr) argv = fallback_argv;

    std::unique_ptr<kernel_child> handle(new kernel_child(::getpid()));
    pid_t pid = 0;
    if (int err = sys::posix_spawn(&pid, self_path, &actions.value,
                                   &attributes.value, argv, env.data())) {
      return err;
    }
    return hold_new_child(pid, std::move(handle), out);
  } catch (const std::bad_alloc&) {
    return ENOMEM;
  }
}

}  // namespace multiproc::inline v0::detail
