// The guard: in a copy of the program started by spawn, the first
// multiproc call that may start processes becomes the child. It reads the
// bootstrap the launcher left at the fd the marker names, takes the
// child's place in the registry and runs the target through child_main,
// so that the exit steps and the uncaught-exception report are fork's.
#include <sys/prctl.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "child_main.hpp"
#include "launch/exec_bootstrap.hpp"
#include "multiproc/detail/portable_call.hpp"
#include "multiproc/process.hpp"
#include "multiproc/start_method.hpp"
#include "posix/io.hpp"
#include "posix/sys.hpp"
#include "process_state.hpp"
#include "registry.hpp"
#include "remote/module_exchange.hpp"

namespace multiproc::inline v0::detail {
namespace {

// Read while the program loads: the marker's fd, -1 when this copy is not
// a child made by exec. Static initialisers run before main, so this is
// set before any guard can be reached.
int g_boot_fd = -1;
bool g_served = false;

[[noreturn]] void die(const char* what) noexcept {
  std::fputs("multiproc: ", stderr);
  std::fputs(what, stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
  ::_exit(1);
}

// The copy ran to the end of main without reaching a guard.
void returned_before_guard() noexcept {
  if (g_served) return;
  die("a process started by 'spawn' returned from main before its first "
      "multiproc call");
}

struct exec_marker_reader {
  exec_marker_reader() noexcept {
    const char* value = std::getenv(kExecMarker);
    if (value == nullptr) return;
    char* end = nullptr;
    const long fd = std::strtol(value, &end, 10);
    if (end == value || *end != '\0' || fd < 3 || fd > 65535) return;
    g_boot_fd = static_cast<int>(fd);
    std::atexit(returned_before_guard);
  }
};
const exec_marker_reader g_exec_marker;

std::vector<std::byte> read_bootstrap(int fd) {
  std::uint64_t size = 0;
  if (io::file_size(fd, size) != 0) die("cannot read the start request");
  std::vector<std::byte> bytes(size);
  std::size_t got = 0;
  if (io::pread_full(fd, bytes, 0, got) != 0 || got != size) {
    die("cannot read the start request");
  }
  ::close(fd);
  return bytes;
}

// Runs in the child as its target: resolves the code the parent named
// (through the parent's module table, matched to ours by build-id) and
// calls it. Its exceptions are the child's uncaught ones.
void run_target(const portable_request& request) {
  if (request.target.empty()) return;  // a process() with no target
  decoder in(request.target);
  const auto table = remote::decode_modules(in.read<std::vector<std::byte>>());
  // Numbered as the parent numbers its modules before any code is named
  // here, so that what the target goes on to receive from the parent (a
  // pool worker's tasks, function pointers inside them) resolves as in a
  // fork, with no translation on either side.
  remote::adopt_numbering(table);
  const remote::module_map map(table);
  const auto entry_ref = code_ref::unpack(in.read<std::uint64_t>());
  const bool has_function = in.read<std::uint8_t>() != 0;
  const auto function_ref = code_ref::unpack(in.read<std::uint64_t>());
  auto entry = reinterpret_cast<portable_entry>(  // NOLINT
      resolve_code(map.to_local(entry_ref)));
  const std::uintptr_t function =
      has_function ? resolve_code(map.to_local(function_ref)) : 0;
  entry(function, request.arguments);
}

// The state of the process object this copy of the program is. Not
// inlined into serve(): g++ 12 at -O2 then reports false -Warray-bounds
// errors on the shared state and the bound target.
[[gnu::noinline]] std::shared_ptr<process_state> child_state(
    portable_request request) {
  const portable_context& context = request.context;
  auto state = std::make_shared<process_state>(
      process_kind::child, context.creator_pid, context.identity);
  state->name = context.name;
  state->daemon = context.daemon;
  state->kill_on_parent_death = context.kill_on_parent_death;
  state->starting = true;  // as the forked copy of a starting object
  state->target = unique_callable::bind(
      [request = std::move(request)] { run_target(request); });
  return state;
}

[[noreturn]] void serve(int fd) {
  decoded_request decoded;
  decoded_bootstrap boot;
  try {
    boot = decode_bootstrap(read_bootstrap(fd));
    decoded = decode_portable_request(boot.request);
  } catch (...) {
    die("the start request is corrupt");
  }
  const portable_context context = decoded.request.context;
  if (context.kill_on_parent_death) {
    // Armed here, then checked: a parent that died before would never
    // send the signal.
    if (sys::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die("prctl failed");
    if (::getppid() != context.creator_pid) ::_exit(1);
  }
  if (boot.has_limits && !apply_child_limits(boot.limits)) {
    die("a resource limit could not be set in the child");
  }
  registry::get();  // the exit handler, as a fork child inherits it
  process self(child_state(std::move(decoded.request)));
  child_context child{&self, context.parent_name, context.creator_pid};
  child_main(&child);
}

}  // namespace

void serve_if_started_by_exec() noexcept {
  if (g_boot_fd < 0 || g_served) return;
  g_served = true;
  ::unsetenv(kExecMarker);
  serve(g_boot_fd);
}

}  // namespace multiproc::inline v0::detail
