// Must NOT compile: a pipe end as the item of a pipe (it has no byte image).
#include <multiproc/multiproc.hpp>

int main() {
  auto [a, b] = multiproc::pipe<multiproc::connection<int>>();
  auto [c, d] = multiproc::pipe<int>();
  a.send(c);
  return 0;
}
