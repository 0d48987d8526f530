// Must NOT compile: a pool task whose argument (not its result) cannot be
// sent to a worker. The message must speak of an argument.
#include <memory>
#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>

namespace {
int read_value(std::unique_ptr<int> x) { return *x; }
}  // namespace

int main() {
  multiproc::pool workers({.processes = 1});
  return workers.apply(read_value, std::make_unique<int>(1));
}
