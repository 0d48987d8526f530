// active_children() lists the started children that have not ended (and
// reaps those that have). It knows every child, even one whose handles are
// all gone: a child is never lost, and the program joins it at exit anyway.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>
#include <vector>
namespace mp = multiproc;
using namespace std::chrono_literals;

void nap(std::chrono::milliseconds how_long) {
  std::this_thread::sleep_for(how_long);
}

std::string names(std::vector<mp::process> processes) {
  std::sort(processes.begin(), processes.end(),
            [](const mp::process& a, const mp::process& b) {
              return a.name() < b.name();
            });
  std::string result = "[";
  for (const auto& p : processes) {
    if (result.size() > 1) result += ", ";
    result += p.name();
  }
  return result + "]";
}

int main() {
  // Fire and forget: each handle is destroyed at the end of its statement,
  // which neither stops nor loses the child.
  for (int i = 1; i <= 3; ++i) mp::process(nap, i * 500ms).start();

  std::vector<mp::process> children = mp::active_children();
  std::cout << "Main: active_children() = " << names(children) << std::endl;
  std::sort(children.begin(), children.end(),
            [](const mp::process& a, const mp::process& b) {
              return a.name() < b.name();
            });
  for (auto& child : children) {
    child.join();
    std::cout << "Main: joined " << child.name()
              << ", active_children() = " << names(mp::active_children())
              << std::endl;
  }
}
