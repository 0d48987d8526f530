// Six workers, at most two at work at any moment: a semaphore of 2 is the
// gate. (Python: multiprocessing.Semaphore(2) around the work.)
#include <atomic>
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <mutex>
#include <thread>
#include <vector>
namespace mp = multiproc;
using namespace std::chrono_literals;

int main() {
  mp::semaphore gate(2);
  mp::value<int> working;  // how many are inside the gate now
  mp::value<int> most;     // the most that ever were
  std::vector<mp::process> workers;
  for (int n = 0; n < 6; ++n) {
    workers.emplace_back([gate, working, most]() mutable {
      std::lock_guard inside(gate);
      {
        std::lock_guard g(working);
        const int now = ++working.get_obj();
        std::lock_guard m(most);
        if (now > most.get_obj()) most.get_obj() = now;
      }
      std::this_thread::sleep_for(100ms);  // the work
      std::lock_guard g(working);
      --working.get_obj();
    });
  }
  for (auto& w : workers) w.start();
  for (auto& w : workers) w.join();
  std::cout << "at most " << most.load() << " workers at once" << std::endl;
  std::cout << "permits back: " << gate.get_value() << std::endl;
}
