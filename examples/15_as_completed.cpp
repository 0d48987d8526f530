// Results in the order they finish, from children of both kinds at once:
// two pool tasks and an async() child, each taking a different time.
// Then wait() with first_exception stops at the first failure.
//
// Python: concurrent.futures.as_completed(fs) and wait(fs,
// return_when=FIRST_EXCEPTION), which take only one executor's futures.
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
namespace mp = multiproc;
using namespace std::chrono_literals;

int sleep_then_return(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  return ms;
}

int fail_after(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
  throw std::runtime_error("failed after " + std::to_string(ms) + " ms");
}

int main() {
  mp::pool workers(mp::pool_options{.processes = 2});
  std::vector<mp::future<int>> fs;
  fs.push_back(workers.submit(sleep_then_return, 600));
  fs.push_back(workers.submit(sleep_then_return, 200));
  fs.push_back(mp::async(sleep_then_return, 400));  // a child of its own
  for (std::size_t i : mp::as_completed(fs)) {
    std::cout << "future " << i << " done: " << fs[i].get() << " ms"
              << std::endl;
  }

  std::vector<mp::future<int>> gs;
  gs.push_back(workers.submit(sleep_then_return, 2000));
  gs.push_back(workers.submit(fail_after, 300));
  auto [done, not_done] = mp::wait(gs, mp::return_when::first_exception);
  std::cout << "first exception: " << done.size() << " done, "
            << not_done.size() << " not done" << std::endl;
  try {
    gs[done.front()].get();
  } catch (const std::runtime_error& e) {
    std::cout << "future " << done.front() << ": " << e.what() << std::endl;
  }
  gs[not_done.front()].cancel();  // kills the worker running it
}
