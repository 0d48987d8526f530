// Producer/consumer with a queue and a sentinel item: the worker stops
// when it gets the sentinel, as in Python's classic recipe.
//
// Python: q = Queue(); Process(target=worker, args=(q,)).start();
//         for i in range(5): q.put(i); q.put(None)
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <optional>
namespace mp = multiproc;

int main() {
  mp::queue<std::optional<int>> q;  // nullopt is the sentinel

  mp::process worker([q]() mutable {
    int total = 0;
    while (auto item = q.get()) {
      std::cout << "Worker: got " << *item << std::endl;
      total += *item;
    }
    std::cout << "Worker: sentinel, total " << total << std::endl;
  });
  worker.start();

  for (int i = 1; i <= 5; ++i) q.put(i);
  q.put(std::nullopt);
  worker.join();
  std::cout << "Main: worker ended with exit code " << *worker.exitcode()
            << std::endl;
}
