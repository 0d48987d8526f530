// Must NOT compile: a raw pointer result. The ctest that builds this file
// passes when the compiler's message says what to do.
#include <multiproc/multiproc.hpp>

int main() {
  static int value = 1;
  return *multiproc::call([] { return &value; });
}
