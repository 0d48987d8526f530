// Must NOT compile: a pool task given the wrong number of arguments.
#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>

namespace {
int add(int a, int b) { return a + b; }
}  // namespace

int main() {
  multiproc::pool workers({.processes = 1});
  return workers.apply(add, 1);
}
