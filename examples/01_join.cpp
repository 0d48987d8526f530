// Run a function in a child process and wait for it to finish.
//
// Python:
//   process = Process(target=task)
//   process.start()
//   process.join()
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <thread>
namespace mp = multiproc;
using namespace std::chrono_literals;

void task() {
  std::this_thread::sleep_for(1s);
  std::cout << "All done in the new process" << std::endl;
}

int main() {
  mp::process process(task);
  process.start();
  std::cout << "Main: Waiting for process to terminate..." << std::endl;
  process.join();
  std::cout << "Main: Continuing on" << std::endl;
}
