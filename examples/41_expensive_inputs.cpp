// Which inputs were expensive? Every pool task's future knows what the task
// used (future::usage(): CPU, peak memory, page faults), measured by its
// worker around the task; a report ranks the inputs by CPU.
//
// Python: resource.getrusage(RUSAGE_CHILDREN) gives one sum over all the
// children a process has waited for; nothing says what one task used.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <iomanip>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <vector>
namespace mp = multiproc;

// Counts primes below n by trial division: cost grows faster than n.
int count_primes(int n) {
  int found = 0;
  for (int candidate = 2; candidate < n; ++candidate) {
    bool prime = true;
    for (int d = 2; d * d <= candidate; ++d) {
      if (candidate % d == 0) {
        prime = false;
        break;
      }
    }
    found += prime ? 1 : 0;
  }
  return found;
}

struct row {
  int input;
  int primes;
  mp::usage used;
};

int main() {
  const std::vector<int> inputs{50'000, 400'000, 10'000, 100'000, 200'000};
  mp::pool workers({.processes = 2});
  std::vector<mp::future<int>> futures;
  for (int n : inputs) futures.push_back(workers.submit(count_primes, n));

  std::vector<row> rows;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    const int primes = futures[i].get();
    rows.push_back({inputs[i], primes, futures[i].usage().value()});
  }
  std::sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
    return a.used.cpu() > b.used.cpu();
  });
  std::cout << "most expensive inputs (of " << rows.size() << "):" << std::endl;
  for (std::size_t rank = 0; rank < 3; ++rank) {
    const row& r = rows[rank];
    const double seconds = std::chrono::duration<double>(r.used.cpu()).count();
    std::cout << rank + 1 << ". primes below " << r.input << ": " << r.primes
              << " found, " << std::fixed << std::setprecision(3) << seconds
              << " s CPU, peak RSS " << (r.used.max_rss >> 10) << " KiB, "
              << r.used.minor_faults << " minor faults" << std::endl;
  }
}
