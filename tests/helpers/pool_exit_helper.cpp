// A main-like program whose pool is still at work when main() returns
// (issue 9, bug 9): the pool must finish its submitted work at exit, as at
// destruction, whoever holds it.
//
//   pool_exit_helper global        a pool held by a global unique_ptr
//   pool_exit_helper local_static  a function-local static pool
//   pool_exit_helper leaked        a pool that is never destroyed
//   pool_exit_helper bounded       leaked, with a task that never ends and
//                                  an exit policy of 300 ms: exit stops it
//
// Each prints "submitted", then the task prints "task done" from its
// worker; the test checks that the line is there and the exit code is 0.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>
#include <string>
#include <thread>

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

void say(const char* line) {
  std::fputs(line, stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void slow_task() {
  std::this_thread::sleep_for(300ms);
  say("task done");
}

void endless_task() {
  for (;;) ::pause();
}

mp::pool_options one_worker() {
  mp::pool_options options;
  options.processes = 1;
  return options;
}

std::unique_ptr<mp::pool> g_pool;
// Never deleted. Held by a global so that LeakSanitizer sees it reachable:
// what is tested is the exit steps, not the leak.
mp::pool* g_leaked_pool = nullptr;

mp::pool& local_static_pool() {
  static mp::pool workers(one_worker());
  return workers;
}

// Futures are dropped at once: a dropped pool future lets its task run.
int run(const std::string& mode) {
  if (mode == "global") {
    g_pool = std::make_unique<mp::pool>(one_worker());
    g_pool->submit(slow_task);
  } else if (mode == "local_static") {
    local_static_pool().submit(slow_task);
  } else if (mode == "leaked") {
    g_leaked_pool = new mp::pool(one_worker());
    g_leaked_pool->submit(slow_task);
  } else if (mode == "bounded") {
    mp::set_exit_policy({.join_timeout = 300ms, .terminate_grace = 300ms});
    g_leaked_pool = new mp::pool(one_worker());
    g_leaked_pool->submit(endless_task);
  } else {
    std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
    return 2;
  }
  say("submitted");
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return run(argc > 1 ? argv[1] : ""); }
