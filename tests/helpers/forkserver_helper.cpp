// Programs whose forkserver cannot serve, one per mode (argv[1]):
//   threads  a static initialiser starts a thread, so the program has two
//            at its guard: every forkserver start throws usage_error, and
//            spawn still works.
//   return   the forkserver copy returns from main before its guard.
// Prints what each start did.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>

namespace mp = multiproc;

namespace {

void nothing() {}

// A static initialiser that starts a thread when the program was asked to
// (its command line, read before main runs).
struct thread_starter {
  thread_starter() {
    std::ifstream cmdline("/proc/self/cmdline");
    std::string program, mode;
    std::getline(cmdline, program, '\0');
    std::getline(cmdline, mode, '\0');
    if (mode != "threads") return;
    std::thread([] {
      std::this_thread::sleep_for(std::chrono::hours(1));
    }).detach();
  }
};
const thread_starter g_thread_starter;

void start_and_report(mp::start_method method) {
  mp::process_options options;
  options.start_method = method;
  mp::process child(options, nothing);
  try {
    child.start();
    child.join();
    std::cout << mp::to_string(method) << " exitcode " << *child.exitcode()
              << std::endl;
  } catch (const mp::usage_error& e) {
    std::cout << mp::to_string(method) << " usage_error: " << e.what()
              << std::endl;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const bool returning = argc > 1 && std::strcmp(argv[1], "return") == 0;
  // The forkserver copy sees the variable its process set before starting
  // it, and returns here.
  if (returning && std::getenv("FORKSERVER_HELPER_COPY") != nullptr) return 0;
  if (returning) ::setenv("FORKSERVER_HELPER_COPY", "1", 1);
  mp::set_start_method(mp::start_method::forkserver);
  start_and_report(mp::start_method::forkserver);
  start_and_report(mp::start_method::forkserver);  // refused every time
  start_and_report(mp::start_method::spawn);
  return 0;
}
