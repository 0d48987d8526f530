// terminate() sends SIGTERM and kill() sends SIGKILL; neither waits, so join
// afterwards. A child killed by signal N has exit code -N. A child that
// ignores SIGTERM survives terminate(): escalate to kill() after a grace
// period.
#include <chrono>
#include <csignal>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <thread>
namespace mp = multiproc;
using namespace std::chrono_literals;

void sleeper() { std::this_thread::sleep_for(60s); }

int main() {
  mp::process terminated(sleeper);
  mp::process killed(sleeper);
  mp::process stubborn(sleeper);
  terminated.start();
  killed.start();
  // Signal dispositions are inherited through fork: this child starts with
  // SIGTERM ignored.
  std::signal(SIGTERM, SIG_IGN);
  stubborn.start();
  std::signal(SIGTERM, SIG_DFL);

  terminated.terminate();
  killed.kill();
  terminated.join();
  killed.join();
  std::cout << "Main: " << terminated.name() << " after terminate(): exitcode "
            << *terminated.exitcode() << std::endl;
  std::cout << "Main: " << killed.name() << " after kill(): exitcode "
            << *killed.exitcode() << std::endl;

  stubborn.terminate();
  if (!stubborn.join(1s)) {
    std::cout << "Main: " << stubborn.name()
              << " ignored terminate(), using kill()" << std::endl;
    stubborn.kill();
    stubborn.join();
  }
  std::cout << "Main: " << stubborn.name() << " exitcode "
            << *stubborn.exitcode() << std::endl;
}
