// The guard: in a copy of the program started by exec, the first multiproc
// call that may start processes becomes what the copy was made for. A spawn
// child reads the bootstrap the launcher left at the fd the marker names; a
// forkserver copy becomes the server, whose children arrive here by fork
// with their bootstrap in hand. Both then take the child's place in the
// registry and run the target through child_main (serve_decoded), so that
// the exit steps and the uncaught-exception report are fork's.
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
#include "launch/argument_file.hpp"
#include "launch/exec_bootstrap.hpp"
#include "launch/forkserver_protocol.hpp"
#include "launch/forkserver_server.hpp"
#include "multiproc/detail/portable_call.hpp"
#include "multiproc/process.hpp"
#include "multiproc/start_method.hpp"
#include "posix/io.hpp"
#include "posix/program_name.hpp"
#include "posix/sys.hpp"
#include "process_state.hpp"
#include "registry.hpp"
#include "remote/module_exchange.hpp"

namespace multiproc::inline v0::detail {
namespace {

// Read while the program loads: the marker's fd, -1 when this copy is not
// a child made by exec. Static initialisers run before main, so this is
// set before any guard can be reached. A forkserver copy's fd is its
// socket, and it knows the pid of the process it serves.
int g_boot_fd = -1;
bool g_is_server = false;
pid_t g_server_caller = 0;
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
  const char* what =
      g_is_server
          ? "a process started by 'forkserver' returned from main before its "
            "first multiproc call"
          : "a process started by 'spawn' returned from main before its first "
            "multiproc call";
  // The process waiting for this server throws it as its usage_error.
  if (g_is_server)
    refuse_to_serve(g_boot_fd, std::string("multiproc: ") + what);
  die(what);
}

// "<fd>" (spawn) or "forkserver:<fd>:<caller pid>".
bool parse_marker(const char* value) noexcept {
  const std::size_t prefix = std::strlen(forkserver::kServerMarkerPrefix);
  if (std::strncmp(value, forkserver::kServerMarkerPrefix, prefix) == 0) {
    g_is_server = true;
    value += prefix;
  }
  char* end = nullptr;
  const long fd = std::strtol(value, &end, 10);
  if (end == value || fd < 3 || fd > 65535) return false;
  if (g_is_server) {
    if (*end != ':') return false;
    const char* pid_text = end + 1;
    const long pid = std::strtol(pid_text, &end, 10);
    if (end == pid_text || pid <= 0) return false;
    g_server_caller = static_cast<pid_t>(pid);
  }
  if (*end != '\0') return false;
  g_boot_fd = static_cast<int>(fd);
  return true;
}

struct exec_marker_reader {
  exec_marker_reader() noexcept {
    const char* value = std::getenv(kExecMarker);
    if (value == nullptr || !parse_marker(value)) {
      g_is_server = false;
      return;
    }
    std::atexit(returned_before_guard);
  }
};
const exec_marker_reader g_exec_marker;

std::vector<std::byte> read_bootstrap(int fd) {
  std::vector<std::byte> bytes;
  if (io::read_whole_file(fd, bytes) != 0) die("cannot read the start request");
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
  if (request.arguments_fd < 0) {
    entry(function, encoded_arguments{request.arguments});
    return;
  }
  // Large arguments: decoded from our mapping of their file, unmapped
  // before the target runs (launch/argument_file.hpp).
  mapped_arguments mapped(request.arguments_fd);
  entry(function,
        encoded_arguments{mapped.bytes(), &mapped_arguments::release, &mapped});
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

// The serve path of every exec'd child: a spawn child's, and a forkserver
// child's once it has taken on its caller's context.
void serve_decoded(decoded_bootstrap& boot, decoded_request& decoded,
                   const exec_origin& origin) noexcept {
  const portable_context context = decoded.request.context;
  if (context.kill_on_parent_death) {
    // Armed here, then checked: a parent that died before would never
    // send the signal. A forkserver child's follows the server, whose own
    // follows the caller.
    if (sys::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) die("prctl failed");
    // As a fork child does: act as if the signal had arrived.
    if (::getppid() != origin.kernel_parent) ::raise(SIGKILL);
  }
  if (boot.has_limits && !apply_child_limits(boot.limits)) {
    die("a resource limit could not be set in the child");
  }
  try {
    registry::get();  // the exit handler, as a fork child inherits it
    process self(child_state(std::move(decoded.request)));
    child_context child{&self, context.parent_name, context.creator_pid,
                        origin.parent_pidfd};
    child_main(&child);
  } catch (...) {
    die("child setup failed");
  }
}

[[noreturn]] void serve_spawned(int fd) {
  decoded_request decoded;
  decoded_bootstrap boot;
  try {
    boot = decode_bootstrap(read_bootstrap(fd));
    decoded = decode_portable_request(boot.request);
  } catch (...) {
    die("the start request is corrupt");
  }
  const exec_origin origin{"spawn", decoded.request.context.creator_pid, -1};
  serve_decoded(boot, decoded, origin);
  ::_exit(1);  // serve_decoded never returns
}

}  // namespace

void serve_if_started_by_exec() noexcept {
  if (g_boot_fd < 0 || g_served) return;
  g_served = true;
  ::unsetenv(kExecMarker);
  // Shown as the program, not as "exe", by ps (and by every child the
  // forkserver forks, which inherit the name).
  name_after_program();
  if (g_is_server) run_forkserver(g_boot_fd, g_server_caller, &serve_decoded);
  serve_spawned(g_boot_fd);
}

}  // namespace multiproc::inline v0::detail
