// Must not compile: a context's call() refuses a capturing lambda, even
// for fork, with the message of API.md Part 5 (tests/start_tests.cmake
// checks it).
#include <multiproc/multiproc.hpp>

int main() {
  int captured = 1;
  return multiproc::get_context(multiproc::start_method::spawn)
      .call([&captured] { return captured; });
}
