// Must NOT compile: an aggregate result with a pointer member. The ctest
// that builds this file passes when the message names the member.
#include <multiproc/multiproc.hpp>
#include <string>

namespace {
struct with_pointer {
  std::string name;
  const int* value;  // an address, meaningless in the parent
};
}  // namespace

int main() {
  static const int value = 1;
  return *multiproc::call([] { return with_pointer{"x", &value}; }).value;
}
