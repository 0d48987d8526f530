// Must NOT compile: a pool task that takes a non-const lvalue reference.
// The ctest that builds this file passes when the one message says why.
#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>

namespace {
int bump(int& x) { return ++x; }
}  // namespace

int main() {
  multiproc::pool workers({.processes = 1});
  return workers.submit(bump, 1).get();
}
