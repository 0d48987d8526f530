// Joining a child that has already finished returns at once (and may be
// repeated any number of times).
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <thread>
namespace mp = multiproc;
using namespace std::chrono_literals;

void task() { std::cout << "All done in the new process" << std::endl; }

int main() {
  mp::process process(task);
  process.start();
  std::this_thread::sleep_for(1s);  // the child is long finished by now
  std::cout << "Main: Waiting for process to terminate..." << std::endl;
  process.join();
  process.join();  // again: still returns at once
  std::cout << "Main: Continuing on, exitcode " << *process.exitcode()
            << std::endl;
}
