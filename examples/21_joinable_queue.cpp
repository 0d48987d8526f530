// joinable_queue: put() adds a task, each worker task_done()s what it got,
// join() returns once every task is done — here with two workers.
//
// Python: JoinableQueue, q.task_done(), q.join().
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <thread>
#include <vector>
namespace mp = multiproc;
using namespace std::chrono_literals;

int main() {
  mp::joinable_queue<int> tasks;
  mp::queue<int> results;

  std::vector<mp::process> workers;
  for (int w = 0; w < 2; ++w) {
    workers.emplace_back([tasks, results]() mutable {
      try {
        for (;;) {
          const int n = tasks.get();
          std::this_thread::sleep_for(20ms);  // the work
          results.put(n * n);
          tasks.task_done();
        }
      } catch (const mp::eof_error&) {
        // all producers gone: the parent closed its end
      }
    });
  }
  for (auto& w : workers) w.start();

  for (int i = 1; i <= 10; ++i) tasks.put(i);
  tasks.join();  // every task_done() has been called
  std::cout << "Main: all 10 tasks done, " << results.qsize()
            << " results waiting" << std::endl;

  int sum = 0;
  for (int i = 0; i < 10; ++i) sum += results.get();
  std::cout << "Main: sum of squares " << sum << std::endl;

  tasks.close();  // the workers see EOF and end
  for (auto& w : workers) w.join();
  std::cout << "Main: workers ended, lost tasks " << tasks.lost_tasks()
            << std::endl;
}
