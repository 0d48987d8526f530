// wait() blocks until at least one of several processes has ended and
// returns those that have (Python: multiprocessing.connection.wait on their
// sentinels). It does not reap: join() them to collect their exit codes.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <thread>
#include <vector>
namespace mp = multiproc;
using namespace std::chrono_literals;

void nap_then_exit(std::chrono::milliseconds how_long, int code) {
  std::this_thread::sleep_for(how_long);
  mp::exit(code);  // Python's sys.exit(code)
}

int main() {
  std::vector<mp::process> pending;
  pending.emplace_back(nap_then_exit, 1500ms, 1);
  pending.emplace_back(nap_then_exit, 500ms, 2);
  pending.emplace_back(nap_then_exit, 1000ms, 3);
  for (auto& p : pending) p.start();

  std::cout << "Main: wait(200ms) returned " << mp::wait(pending, 200ms).size()
            << " processes" << std::endl;
  while (!pending.empty()) {
    for (mp::process& ended : mp::wait(pending)) {
      ended.join();  // returns at once: it has ended
      std::cout << "Main: " << ended.name() << " ended, exitcode "
                << *ended.exitcode() << std::endl;
      std::erase_if(pending, [&](const mp::process& p) {
        return p.pid() == ended.pid();
      });
    }
  }
}
