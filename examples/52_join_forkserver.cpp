// 01_join under the forkserver start method: the child is forked by this
// process's forkserver, a copy of this program started (by exec) at
// set_start_method and small and single-threaded, so the start costs the
// same however big or threaded this process grows.
//
// Python:
//   if __name__ == "__main__":
//       set_start_method("forkserver")
//       process = Process(target=task, args=("new",))
//       process.start()
//       process.join()
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>
namespace mp = multiproc;
using namespace std::chrono_literals;

// Under forkserver, globals are as the static initialisers left them.
std::string g_greeting = "set by the initialiser";

void task(std::string where) {
  std::this_thread::sleep_for(1s);
  std::cout << "All done in the " << where << " process (" << g_greeting << ")"
            << std::endl;
}

int main() {
  mp::set_start_method(mp::start_method::forkserver);  // the guard: first
  g_greeting = "set by main";                          // not seen by the child
  mp::process process(task, std::string("new"));       // arguments by codec
  process.start();
  std::cout << "Main: Waiting for process to terminate..." << std::endl;
  process.join();
  std::cout << "Main: Continuing on, exitcode " << *process.exitcode()
            << std::endl;
}
