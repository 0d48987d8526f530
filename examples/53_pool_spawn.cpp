// A pool whose workers are spawned copies of this program, not forks: safe
// in a threaded program, and each worker starts from what the static
// initialisers built. Data reaches a worker as task arguments or through
// the initializer ({fn, args...}: Python's initializer and initargs).
//
// Python:
//   def init(prefix): global g_prefix; g_prefix = prefix
//   if __name__ == "__main__":
//       with get_context("spawn").Pool(2, init, ("word",)) as pool:
//           print(pool.map(label, range(4)))
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <string>
#include <vector>
namespace mp = multiproc;

// Each worker's copy: set by main in the parent only, by init in workers.
std::string g_prefix = "unset";

void init(std::string prefix) { g_prefix = prefix; }

std::string label(int n) { return g_prefix + "-" + std::to_string(n * n); }

int end_worker() { mp::exit(3); }  // as a crash would: the worker ends

int main() {
  mp::set_start_method(mp::start_method::spawn);  // the guard: first
  g_prefix = "set by main";                       // not seen by a worker
  mp::pool pool({.processes = 2, .initializer = {init, std::string("word")}});
  for (const std::string& text :
       pool.map(label, std::vector<int>{0, 1, 2, 3})) {
    std::cout << text << std::endl;
  }
  // A task that kills its worker fails alone; the replacement is spawned
  // too, and runs the initializer before its first task.
  try {
    pool.submit(end_worker).get();
  } catch (const mp::process_died& e) {
    std::cout << "task failed: exit code " << e.exitcode() << std::endl;
  }
  std::cout << pool.submit(label, 5).get() << std::endl;
  std::cout << "main still has: " << g_prefix << std::endl;
}
