// A threaded program that starts children from its threads, safely: under
// spawn no thread's locks are copied into a child (fork would copy them,
// held by threads that do not exist there). Four request threads, each
// handing its job to a child process while the others hold a lock.
//
// Python:
//   set_start_method("spawn")
//   def handle(n): Process(target=job, args=(n,)).start() ... join()
//   threads = [Thread(target=handle, args=(n,)) for n in range(4)]
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <mutex>
#include <thread>
#include <vector>
namespace mp = multiproc;

std::mutex g_log;  // held often by the request threads

void job(int n) {
  // A fork child of a thread racing the others could find g_log held
  // forever; a spawned child has its own, unlocked.
  std::lock_guard lock(g_log);
  mp::exit(10 + n);
}

void handle_request(int n) {
  mp::process child(job, n);
  {
    std::lock_guard lock(g_log);
    child.start();  // while this thread holds the lock
  }
  child.join();
  std::lock_guard lock(g_log);
  std::cout << "request " << n << ": child exitcode " << *child.exitcode()
            << std::endl;
}

int main() {
  mp::set_start_method(mp::start_method::spawn);
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n) threads.emplace_back(handle_request, n);
  for (std::thread& t : threads) t.join();
  std::cout << "all requests served" << std::endl;
}
