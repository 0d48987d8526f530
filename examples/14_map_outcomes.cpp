// Every item's own outcome from a pool map: its index, and its value or its
// error. Some items throw, one crashes its worker, one hangs past the
// pool's task timeout; the others succeed, and nothing else fails with them.
//
// Python: Pool.map raises the first error and drops every other result; to
// see each item's fate you submit them one by one and collect the futures.
// With a task timeout the items go one per task, so the timeout is per item.
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <stdexcept>
#include <thread>
#include <vector>
namespace mp = multiproc;
using namespace std::chrono_literals;

int process_item(int x) {
  if (x % 4 == 3) throw std::invalid_argument("odd one out");
  if (x == 5) std::abort();  // a failed assertion in native code, say
  if (x == 6) std::this_thread::sleep_for(1h);
  return x * x;
}

int main() {
  mp::pool_options options;
  options.processes = 2;
  options.task_timeout = 500ms;
  mp::pool workers(options);

  std::vector<int> inputs{0, 1, 2, 3, 4, 5, 6, 7, 8};
  for (const mp::outcome<int>& item :
       workers.map_outcomes(process_item, inputs)) {
    std::cout << "item " << item.index() << ": ";
    try {
      const int value = item.value();  // rethrows the item's error
      std::cout << "value " << value << std::endl;
    } catch (const std::exception& e) {
      std::cout << "error: " << e.what() << std::endl;
    }
  }
}
