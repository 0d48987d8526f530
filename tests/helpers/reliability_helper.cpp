// A main-like program for the faults that happen to a whole program, which
// the test process must not suffer itself: its exit under an exit policy,
// and its death by SIGKILL. Run by tests/reliability_exit_test.cpp.
//
//   reliability_helper exit_policy        main returns with four children:
//       quick (ends in 100 ms), stubborn (sleeps), a daemon and a non-daemon
//       that both ignore SIGTERM; policy join_timeout 1 s, grace 500 ms.
//       Prints "exitcodes 0 -15 -9 -9" (in that order) from an atexit
//       handler that runs after the exit steps.
//   reliability_helper exit_policy_child  the policy is set in main; a child
//       starts a grandchild that ignores SIGTERM and never ends, prints
//       "grandchild <pid>", and returns: its own exit steps apply the
//       inherited policy. Main prints "child <exitcode> <ms>".
//   reliability_helper default_policy_daemon_ignores  Python's default: a
//       daemon that ignores SIGTERM and ends after 1 s holds up the exit
//       until then. Prints "exitcodes 0".
//   reliability_helper orphans   prints "pids <K> <O> <D>" for a child with
//       kill_on_parent_death (K), a plain child (O) and a daemon child (D),
//       all sleeping, then "ready", and sleeps until killed. O waits on
//       parent_process().join() and prints "parent joined" when it returns
//       (the test times it from the moment it killed the helper).
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
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

// Leaked on purpose: read by the atexit handler.
std::vector<mp::process>* g_children = nullptr;

void report_exitcodes() {
  std::string line = "exitcodes";
  for (const auto& p : *g_children) {
    auto code = p.exitcode();
    line += " " + (code ? std::to_string(*code) : std::string("none"));
  }
  say(line);
}

void ignore_sigterm_and_sleep(std::chrono::seconds how_long) {
  ::signal(SIGTERM, SIG_IGN);
  std::this_thread::sleep_for(how_long);
}

mp::process_options daemon_options() {
  mp::process_options options;
  options.daemon = true;
  return options;
}

int exit_policy() {
  std::atexit(report_exitcodes);  // before any process object: runs last
  mp::exit_policy policy;
  policy.join_timeout = 1s;
  policy.terminate_grace = 500ms;
  mp::set_exit_policy(policy);
  g_children = new std::vector<mp::process>;
  g_children->reserve(4);  // no reallocation (and no GCC 12 false warning)
  g_children->emplace_back([] { std::this_thread::sleep_for(100ms); });
  g_children->emplace_back([] { std::this_thread::sleep_for(100s); });
  g_children->emplace_back(daemon_options(),
                           [] { ignore_sigterm_and_sleep(100s); });
  g_children->emplace_back([] { ignore_sigterm_and_sleep(100s); });
  // SIGTERM is ignored by the last two from their first instruction: the
  // disposition is inherited, so no race with the exit steps' SIGTERM.
  g_children->at(0).start();
  g_children->at(1).start();
  ::signal(SIGTERM, SIG_IGN);
  g_children->at(2).start();
  g_children->at(3).start();
  ::signal(SIGTERM, SIG_DFL);
  say("main returns");
  return 0;
}

int exit_policy_child() {
  mp::exit_policy policy;
  policy.join_timeout = 500ms;
  policy.terminate_grace = 300ms;
  mp::set_exit_policy(policy);
  mp::process child([] {
    ::signal(SIGTERM, SIG_IGN);
    mp::process grandchild([] { std::this_thread::sleep_for(100s); });
    grandchild.start();
    ::signal(SIGTERM, SIG_DFL);
    say("grandchild " + std::to_string(*grandchild.pid()));
  });
  auto start = std::chrono::steady_clock::now();
  child.start();
  child.join();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
  say("child " + std::to_string(*child.exitcode()) + " " + std::to_string(ms));
  return 0;
}

int default_policy_daemon_ignores() {
  std::atexit(report_exitcodes);
  g_children = new std::vector<mp::process>;
  g_children->reserve(1);
  ::signal(SIGTERM, SIG_IGN);
  g_children->emplace_back(daemon_options(),
                           [] { std::this_thread::sleep_for(1s); });
  g_children->at(0).start();
  ::signal(SIGTERM, SIG_DFL);
  say("main returns");
  return 0;
}

int orphans() {
  mp::process_options guarded;
  guarded.kill_on_parent_death = true;
  mp::process k(guarded, [] { std::this_thread::sleep_for(100s); });
  mp::process o([] {
    auto parent = mp::parent_process();
    parent->join();
    say("parent joined");
    std::this_thread::sleep_for(100s);
  });
  mp::process d(daemon_options(), [] { std::this_thread::sleep_for(100s); });
  k.start();
  o.start();
  d.start();
  say("pids " + std::to_string(*k.pid()) + " " + std::to_string(*o.pid()) +
      " " + std::to_string(*d.pid()));
  say("ready");
  std::this_thread::sleep_for(100s);
  return 0;
}

// A pool built on a thread that then ends (its workers must outlive that
// thread), one of whose workers is replaced (forked on the dispatcher
// thread); prints the live workers' pids. Every worker must die with us.
int pool_workers() {
  std::unique_ptr<mp::pool> workers;
  std::thread([&workers] {
    mp::pool_options options;
    options.processes = 2;
    workers = std::make_unique<mp::pool>(options);
  }).join();
  try {
    workers
        ->submit([] {
          ::raise(SIGKILL);
          return 0;
        })
        .get();
  } catch (const mp::process_died&) {
  }
  workers->apply([] { return 0; });  // a replacement serves
  std::string pids = "pids";
  for (const auto& child : mp::active_children()) {
    pids += " " + std::to_string(*child.pid());
  }
  say(pids);
  say("ready");
  std::this_thread::sleep_for(100s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "exit_policy") return exit_policy();
  if (mode == "exit_policy_child") return exit_policy_child();
  if (mode == "default_policy_daemon_ignores") {
    return default_policy_daemon_ignores();
  }
  if (mode == "orphans") return orphans();
  if (mode == "pool_workers") return pool_workers();
  std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
  return 2;
}
