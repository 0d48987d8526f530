// A pool of worker processes: map, submit, and the failures a Python pool
// does not survive. A task that crashes its worker fails alone (the worker
// is replaced), a task that hangs is timed out, and the pool goes on.
//
// Python: multiprocessing.Pool / concurrent.futures.ProcessPoolExecutor,
// where the crash hangs Pool.map forever and breaks the executor for good.
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <thread>
#include <vector>
namespace mp = multiproc;
using namespace std::chrono_literals;

int square(int x) { return x * x; }

int crash_on_13(int x) {
  if (x == 13) std::abort();  // a failed assertion in native code, say
  return x;
}

int hang(int x) {
  std::this_thread::sleep_for(1h);
  return x;
}

int main() {
  mp::pool_options options;
  options.processes = 2;
  mp::pool workers(options);

  std::vector<int> squares = workers.map(square, std::vector{1, 2, 3, 4});
  std::cout << "map: " << squares[0] << ' ' << squares[1] << ' ' << squares[2]
            << ' ' << squares[3] << std::endl;

  std::vector<mp::future<int>> results;
  for (int i = 10; i < 16; ++i)
    results.push_back(workers.submit(crash_on_13, i));
  for (auto& result : results) {
    try {
      const int value = result.get();
      std::cout << "submit: " << value << std::endl;
    } catch (const mp::process_died& e) {
      std::cout << "submit: failed alone: " << e.what() << std::endl;
    }
  }

  mp::task_options patience;
  patience.timeout = 500ms;
  try {
    workers.submit(patience, hang, 1).get();
  } catch (const mp::timeout_error& e) {
    std::cout << "timeout: " << e.what() << std::endl;
  }
  std::cout << "still serving: " << workers.apply(square, 12) << std::endl;
}
