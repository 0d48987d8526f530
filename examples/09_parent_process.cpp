// parent_process() in a child describes the process that started it: its
// name, its pid, and whether it is still alive. In the main process it is
// empty. Children of children are named after their parent: Process-1:1.
#include <unistd.h>

#include <iostream>
#include <multiproc/multiproc.hpp>
#include <optional>
namespace mp = multiproc;

void describe_parent() {
  std::optional<mp::process> parent = mp::parent_process();
  std::cout << mp::current_process().name() << ": parent is " << parent->name()
            << ", pid() == getppid() is " << std::boolalpha
            << (*parent->pid() == ::getppid()) << ", is_alive() is "
            << parent->is_alive() << std::endl;
}

void child() {
  describe_parent();
  mp::process grandchild(describe_parent);
  grandchild.start();
  grandchild.join();
}

int main() {
  std::cout << "Main: I am " << mp::current_process().name()
            << ", parent_process() is empty: " << std::boolalpha
            << !mp::parent_process().has_value() << std::endl;
  mp::process process(child);
  process.start();
  process.join();
  std::cout << "Main: " << process.name() << " exitcode " << *process.exitcode()
            << std::endl;
}
