// A process cannot join itself: current_process().join() throws
// multiproc::usage_error with Python's message. (Python raises
// AssertionError, and only when asserts are enabled; ours is always on.)
#include <iostream>
#include <multiproc/multiproc.hpp>
namespace mp = multiproc;

int main() {
  try {
    mp::current_process().join();
    std::cout << "Main: joined myself?" << std::endl;
  } catch (const mp::usage_error& e) {
    std::cout << "Main: usage_error: " << e.what() << std::endl;
  }
}
