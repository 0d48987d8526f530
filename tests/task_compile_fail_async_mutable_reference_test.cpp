// Must NOT compile: mp::call of a function that takes a non-const lvalue
// reference (the child's copy would change, never the caller's).
#include <multiproc/multiproc.hpp>

namespace {
int bump(int& x) { return ++x; }
}  // namespace

int main() {
  int value = 1;
  return multiproc::call(bump, value);
}
