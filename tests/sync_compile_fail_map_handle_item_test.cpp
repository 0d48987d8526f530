// Must not compile: map items go through the codec, and a handle has no
// byte image (API.md Part 4: only submit()/apply() take a handle, as a
// top-level argument). SyncCompileFail.map_handle_item checks the message.
#include <multiproc/multiproc.hpp>
#include <vector>

bool take(multiproc::lock l) { return static_cast<bool>(l.acquire(false)); }

int main() {
  std::vector<multiproc::lock> locks(2);
  multiproc::pool workers;
  auto results = workers.map(take, locks);
  return results.size() == 2 ? 0 : 1;
}
