// Several children print reports of several lines; a lock keeps each
// report in one piece. (Python's docs: "Synchronization between
// processes", with a Lock around print.)
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <mutex>
#include <vector>
namespace mp = multiproc;

int main() {
  mp::lock lock;
  std::vector<mp::process> children;
  for (int n = 0; n < 4; ++n) {
    children.emplace_back([lock, n]() mutable {
      std::lock_guard guard(lock);  // with lock:
      std::cout << "report " << n << " begins" << std::endl;
      std::cout << "report " << n << " ends" << std::endl;
    });
  }
  for (auto& child : children) child.start();
  for (auto& child : children) child.join();
  std::cout << "all reports in" << std::endl;
}
