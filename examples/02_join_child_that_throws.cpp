// A child whose task throws: the child reports the exception on stderr, as
// Python prints a traceback, and ends with exit code 1. The parent is not
// affected and carries on.
//
//   Process Process-1:
//   std::runtime_error: Something bad happened
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <stdexcept>
#include <thread>
namespace mp = multiproc;
using namespace std::chrono_literals;

void task() {
  std::this_thread::sleep_for(1s);
  throw std::runtime_error("Something bad happened");
}

int main() {
  mp::process process(task);
  process.start();
  std::cout << "Main: Waiting for process to terminate..." << std::endl;
  process.join();
  std::cout << "Main: Continuing on" << std::endl;
}
