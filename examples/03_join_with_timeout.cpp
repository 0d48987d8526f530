// join() with a timeout gives up waiting, not the child: the child keeps
// running, and the program still waits for it at exit, so the child's line
// is the last one printed.
//
// Python's join(timeout) returns None either way; ours returns whether the
// child has ended, which saves a call to is_alive().
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <thread>
namespace mp = multiproc;
using namespace std::chrono_literals;

void task() {
  std::this_thread::sleep_for(5s);
  std::cout << "All done in the new process" << std::endl;
}

int main() {
  mp::process process(task);
  process.start();
  std::cout << "Main: Waiting for process to terminate..." << std::endl;
  bool ended = process.join(2s);
  std::cout << "Main: join(2s) returned " << std::boolalpha << ended
            << std::endl;
  std::cout << "Main: is_alive() is " << process.is_alive() << std::endl;
  std::cout << "Main: Continuing on" << std::endl;
}
