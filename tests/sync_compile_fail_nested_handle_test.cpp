// Must NOT compile: a handle nested in a value that is turned into bytes.
#include <multiproc/multiproc.hpp>
#include <vector>

int main() {
  auto events =
      multiproc::call([] { return std::vector<multiproc::event>(2); });
  return events.empty() ? 1 : 0;
}
