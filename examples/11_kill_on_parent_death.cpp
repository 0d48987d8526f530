// Beyond Python: a child started with kill_on_parent_death gets SIGKILL when
// the process that created it dies, even by SIGKILL. Without it, the child
// of a dead process lives on as an orphan.
//
// Process-1 starts two children, one with the option and one without, and
// is then killed. Each grandchild watches its parent through
// parent_process(); only the unprotected one lives to see it die.
#include <chrono>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>
namespace mp = multiproc;
using namespace std::chrono_literals;

void watch_parent() {
  std::string me = mp::current_process().name();
  std::cout << me << ": started by " << mp::parent_process()->name()
            << std::endl;
  mp::parent_process()->join();  // returns when the parent has ended
  std::cout << me << ": my parent has died and I am still running" << std::endl;
}

void supervisor() {
  mp::process_options options;
  options.kill_on_parent_death = true;
  mp::process guarded(options, watch_parent);
  mp::process orphan(watch_parent);
  guarded.start();
  orphan.start();
  std::this_thread::sleep_for(60s);  // until the main process kills us
}

int main() {
  mp::process process(supervisor);
  process.start();
  std::this_thread::sleep_for(1s);  // let the grandchildren start
  process.kill();
  process.join();
  std::cout << "Main: killed " << process.name() << ", exitcode "
            << *process.exitcode() << std::endl;
}
