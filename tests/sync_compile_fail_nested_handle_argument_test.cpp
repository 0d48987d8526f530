// Must not compile: a handle nested inside a pool argument (here in a
// vector) would have to be encoded; only a top-level handle argument
// travels. SyncCompileFail.nested_handle_argument checks the message.
#include <multiproc/multiproc.hpp>
#include <vector>

int count(std::vector<multiproc::lock> locks) {
  return static_cast<int>(locks.size());
}

int main() {
  std::vector<multiproc::lock> locks(2);
  multiproc::pool workers;
  return workers.apply(count, locks) == 2 ? 0 : 1;
}
