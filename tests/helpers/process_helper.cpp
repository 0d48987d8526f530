// A main-like program for the tests that need a fresh process: exact default
// names from a fresh counter, and what happens when main() itself ends.
//
//   process_helper names          prints default names from a fresh counter
//   process_helper exit_mixed     main returns with a 1 s non-daemon child and
//                                 a 30 s daemon child (spec §7 case 52)
//   process_helper dropped_handle main returns after destroying the last
//                                 handle of a running child
//   process_helper mp_exit        multiproc::exit(3) from main with a child
//                                 still running
//
// Children's output goes to stdout, flushed line by line; a handler
// registered with atexit() before the first process object exists runs after
// multiproc's exit-time joins (atexit is LIFO), as in Python.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <multiproc/multiproc.hpp>
#include <string>
#include <thread>
#include <vector>

namespace mp = multiproc;
using namespace std::chrono_literals;

namespace {

void say(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

class worker : public mp::process {
 public:
  using mp::process::process;
  void run() override {}
};

int names() {
  auto body = [] {
    mp::process a;
    mp::process b([] {
      mp::process c;
      say(c.name());
    });
    say(a.name() + " " + b.name());
    b.start();
    b.join();
  };
  mp::process one(body), two(body);
  say(one.name() + " " + two.name());
  one.start();
  one.join();
  two.start();
  two.join();
  worker subclass;
  mp::process empty(mp::process_options{});  // empty name: generated
  say(subclass.name() + " " + empty.name());
  return 0;
}

// Leaked on purpose: read by the atexit handler after static destructors
// may have begun.
std::vector<mp::process>* g_children = nullptr;

void report_exitcodes() {
  std::string line = "exitcodes";
  for (const auto& p : *g_children) {
    auto code = p.exitcode();
    line += " " + (code ? std::to_string(*code) : std::string("none"));
  }
  say(line);
}

int exit_mixed() {
  std::atexit(report_exitcodes);
  g_children = new std::vector<mp::process>;
  g_children->emplace_back([] {
    std::this_thread::sleep_for(1s);
    say("non-daemon child done");
  });
  mp::process_options daemon;
  daemon.daemon = true;
  g_children->emplace_back(daemon, [] {
    std::this_thread::sleep_for(30s);
    say("daemon child done");
  });
  for (auto& p : *g_children) p.start();
  say("main returns");
  return 0;
}

int dropped_handle() {
  {
    mp::process child([] {
      std::this_thread::sleep_for(500ms);
      say("child done");
    });
    child.start();
  }
  say("main returns");
  return 0;
}

int exit_from_main() {
  mp::process child([] {
    std::this_thread::sleep_for(500ms);
    say("child done");
  });
  child.start();
  say("main exits");
  mp::exit(3);
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "names") return names();
  if (mode == "exit_mixed") return exit_mixed();
  if (mode == "dropped_handle") return dropped_handle();
  if (mode == "mp_exit") return exit_from_main();
  std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
  return 2;
}
