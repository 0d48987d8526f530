// Must not compile: the T of value/array is bytes in shared memory, and a
// handle has no byte image. SyncCompileFail.value_of_handle checks the
// message.
#include <multiproc/multiproc.hpp>

int main() {
  multiproc::value<multiproc::lock> nested;
  return nested.load().locked() ? 1 : 0;
}
