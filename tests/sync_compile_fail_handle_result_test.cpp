// Must NOT compile: a lock as the result of async (it would have to be
// turned into bytes). The ctest that builds this file passes when the
// compiler's message is the contract's.
#include <multiproc/multiproc.hpp>

int main() {
  multiproc::lock l = multiproc::call([] { return multiproc::lock(); });
  return l.locked() ? 1 : 0;
}
