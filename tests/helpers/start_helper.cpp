// A program whose spawned copy returns from main before reaching a guard:
// the copy must end with exit code 1 and the contract's message.
#include <cstdlib>
#include <iostream>
#include <multiproc/multiproc.hpp>

namespace mp = multiproc;

namespace {
void nothing() {}
}  // namespace

int main() {
  // The copy sees the variable its parent set before starting it.
  if (std::getenv("START_HELPER_SKIP_GUARD") != nullptr) return 0;
  mp::set_start_method(mp::start_method::spawn);
  ::setenv("START_HELPER_SKIP_GUARD", "1", 1);
  mp::process child(nothing);
  child.start();
  child.join();
  std::cout << "exitcode " << *child.exitcode() << std::endl;
  return 0;
}
