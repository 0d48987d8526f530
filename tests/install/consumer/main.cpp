// Uses the installed (or add_subdirectory'd) library the way a user would:
// the umbrella header, the namespace alias, a child with arguments.
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <string>

namespace mp = multiproc;

int main() {
  mp::process child([](int code) { mp::exit(code); }, 7);
  child.start();
  child.join();
  if (child.name() != "Process-1" || child.exitcode() != 7) {
    std::cerr << "consumer: unexpected name " << child.name()
              << " or exit code " << child.exitcode().value_or(-1000) << '\n';
    return 1;
  }
  try {
    mp::current_process().join();
    std::cerr << "consumer: joining the current process did not throw\n";
    return 1;
  } catch (const mp::usage_error& e) {
    if (std::string(e.what()) != "can only join a child process") return 1;
  }
  std::cout << "consumer: Process-1 exited with 7" << std::endl;
  return 0;
}
