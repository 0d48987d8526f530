// Uses the installed multiproc::mpi without an MPI launcher: one rank, so
// the pool runs in local workers. Built without MPI's compiler wrapper.
#include <iostream>
#include <multiproc/mpi.hpp>

namespace mp = multiproc;

int square(int x) { return x * x; }

int main(int argc, char** argv) {
  mp::mpi::world world(argc, argv);
  mp::mpi::pool workers(world, {.client_processes = 1});
  std::cout << "mpi_consumer: " << world.size() << " rank, "
            << workers.submit(&square, 7).get() << std::endl;
  return 0;
}
