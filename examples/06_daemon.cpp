// Daemon children do not keep the program alive: when main() returns, each
// daemon child gets SIGTERM, then every other child is joined. Here the
// program ends after about 1 s (the worker), not 60 s (the daemon).
//
// Python: Process(target=background, daemon=True)
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <thread>
namespace mp = multiproc;
using namespace std::chrono_literals;

void background() {
  std::cout << "Daemon: running until the program ends" << std::endl;
  std::this_thread::sleep_for(60s);
  std::cout << "Daemon: never printed" << std::endl;
}

void worker() {
  std::this_thread::sleep_for(1s);
  std::cout << "Worker: done after 1 s" << std::endl;
}

int main() {
  mp::process_options options;
  options.daemon = true;
  mp::process daemon_child(options, background);
  mp::process worker_child(worker);
  std::cout << "Main: " << daemon_child.name() << " daemon() is "
            << std::boolalpha << daemon_child.daemon() << ", "
            << worker_child.name() << " daemon() is " << worker_child.daemon()
            << std::endl;
  daemon_child.start();
  worker_child.start();
  worker_child.join();
  std::cout << "Main: returning from main(); the daemon is still running"
            << std::endl;
  // At exit the daemon child gets SIGTERM (and is joined), so the program
  // ends now rather than in 60 s.
}
