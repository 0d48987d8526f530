// Must not compile: a context's async() refuses a capturing lambda, with
// the message of API.md Part 5 (tests/start_tests.cmake checks it).
#include <multiproc/multiproc.hpp>

int main() {
  int captured = 1;
  auto f =
      multiproc::get_context(multiproc::start_method::fork).async([captured] {
        return captured;
      });
  (void)f;
}
