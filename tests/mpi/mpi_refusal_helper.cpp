// The world's refusals, each run by ctest under mpiexec (argv[1] names the
// case). Rank 0 checks the exception and its message and returns 0 only
// when both are the contract's; every rank must end with exit code 0, so
// that mpiexec's exit code is the verdict. Built twice: the second binary
// (MULTIPROC_OTHER_EXECUTABLE) has another build-id, for the MPMD case.
#include <dlfcn.h>
#include <mpi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <multiproc/mpi.hpp>
#include <string>
#include <thread>
#include <vector>

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

#ifdef MULTIPROC_OTHER_EXECUTABLE
// Makes this binary's code, and so its build-id, differ from the other's.
extern "C" int multiproc_other_executable_marker() { return 42; }
#endif

int expect(bool ok, const std::string& what) {
  if (ok) {
    std::printf("refusal ok: %s\n", what.c_str());
    return 0;
  }
  std::fprintf(stderr, "unexpected: %s\n", what.c_str());
  return 1;
}

// A rank that never answers the handshake: an MPI program that does not
// build a world (MPI_Init and the world's MPI_Comm_dup are collective, so
// it takes part in both, then stays silent past rank 0's timeout).
int silent_rank(int& argc, char**& argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm mine = MPI_COMM_NULL;
  MPI_Comm_dup(MPI_COMM_WORLD, &mine);
  std::this_thread::sleep_for(3s);
  MPI_Comm_free(&mine);
  MPI_Finalize();
  return 0;
}

int late_rank(int& argc, char**& argv) {
  try {
    mp::mpi::world world(argc, argv, {.handshake_timeout = 1s});
    return expect(false, "the world was built without rank 3");
  } catch (const mp::mpi::world_error& e) {
    return expect(std::string(e.what()) == "rank 3 did not join within 1 s",
                  e.what());
  }
}

// An agent that runs another executable (see the CMake MPMD line).
int other_executable(int& argc, char**& argv) {
  try {
    mp::mpi::world world(argc, argv);
    return expect(false, "the world accepted another executable");
  } catch (const mp::mpi::world_error& e) {
    const std::string what = e.what();
    return expect(
        what.rfind("rank 3 runs a different executable (build-id ", 0) == 0 &&
            what.find(" \u2260 rank 0's ") != std::string::npos,
        what);
  }
}

// MPI initialised by the program before the world.
int after_init(int& argc, char**& argv) {
  MPI_Init(&argc, &argv);
  int status = 1;
  try {
    mp::mpi::world world(argc, argv);
    status = expect(false, "the world was built after MPI_Init");
  } catch (const mp::usage_error& e) {
    status = expect(std::string(e.what()) ==
                        "multiproc::mpi::world must be created before MPI_Init",
                    e.what());
  }
  MPI_Finalize();
  return status;
}

// Every rank loads the library MULTIPROC_DIFFERING_LIBRARY names before
// its world, but ranks 2 and 3 get another build of it (see the CMake
// MPMD line): a task whose code is there is refused at submit and map,
// naming the file and the ranks; code in the program still runs.
int square(int x) { return x * x; }

int differing_library(int& argc, char**& argv) {
  const char* path = std::getenv("MULTIPROC_DIFFERING_LIBRARY");
  void* library = path != nullptr ? ::dlopen(path, RTLD_NOW) : nullptr;
  if (library == nullptr) return expect(false, "the library did not load");
  mp::mpi::world world(argc, argv);
  auto* in_library =
      reinterpret_cast<int (*)(int)>(::dlsym(library, "differing_square"));
  mp::mpi::pool workers(world, {.processes_per_agent = 1});
  const std::string expected = std::string("the task's code is in ") + path +
                               ", which differs on rank 2, 3 (build-id)";
  int status = 0;
  try {
    workers.submit(in_library, 3);
    status |= expect(false, "a task in the differing library was submitted");
  } catch (const mp::usage_error& e) {
    status |= expect(e.what() == expected, e.what());
  }
  try {
    std::vector<int> inputs{1, 2};
    workers.map(in_library, inputs);
    status |= expect(false, "a map over the differing library ran");
  } catch (const mp::usage_error& e) {
    status |= expect(e.what() == expected, std::string("map: ") + e.what());
  }
  status |= expect(workers.submit(&square, 7).get() == 49,
                   "a task in the program still runs");
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string which = argc > 1 ? argv[1] : "";
  if (which == "late") return late_rank(argc, argv);
  if (which == "silent") return silent_rank(argc, argv);
  if (which == "other_executable") return other_executable(argc, argv);
  if (which == "after_init") return after_init(argc, argv);
  if (which == "differing_library") return differing_library(argc, argv);
  std::fprintf(stderr,
               "usage: %s late|silent|other_executable|after_init|"
               "differing_library\n",
               argv[0]);
  return 2;
}
