// The crash-prone batch of 14_map_outcomes over an MPI job: run it as
// `mpiexec -n 4 ./60_mpi_batch`. Rank 0 runs main; ranks 1-3 are agents and
// never get past the world line. Some items throw, one crashes its worker,
// one hangs past the task timeout; each fails alone and the job goes on.
//
// Python (mpi4py.futures): a worker rank that crashes aborts the whole job,
// and result(timeout) only stops waiting; here a task fails alone.
#include <chrono>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <multiproc/mpi.hpp>
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

int main(int argc, char** argv) {
  mp::mpi::world world(argc, argv);  // agents never return from here
  std::cout << "world of " << world.size() << " ranks" << std::endl;
  mp::mpi::pool workers(world,
                        {.processes_per_agent = 1, .task_timeout = 500ms});

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
