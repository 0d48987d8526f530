// process: the state machine and Python's precondition checks. The work of
// making, waiting for and signalling a child is the launcher's and its
// child_handle's (src/launch/).
#include "multiproc/process.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <system_error>
#include <typeinfo>

#include "child_main.hpp"
#include "launch/exec_bootstrap.hpp"
#include "launch/forkserver_client.hpp"
#include "launch/launcher.hpp"
#include "launch/launcher_for.hpp"
#include "launch/portable_request.hpp"
#include "launch/start_process.hpp"
#include "posix/demangle.hpp"
#include "posix/this_pid.hpp"
#include "process_state.hpp"
#include "registry.hpp"
#include "start/method_choice.hpp"
#include "start/portable_start.hpp"
#include "std_streams.hpp"

namespace multiproc::inline v0 {
namespace {

using detail::process_kind;
using detail::process_state;
using detail::registry;
using detail::this_pid;

std::shared_ptr<process_state> make_state(process_options options) {
  registry& reg = registry::get();
  auto state = std::make_shared<process_state>(process_kind::child, this_pid(),
                                               reg.next_identity());
  state->name = std::move(options.name);
  // Python copies the creator's config, daemon flag included.
  if (options.daemon) {
    state->daemon = *options.daemon;
  } else {
    std::lock_guard lock(reg.current()->mutex);
    state->daemon = reg.current()->daemon;
  }
  state->kill_on_parent_death = options.kill_on_parent_death;
  state->method = options.start_method;
  if (options.limits) {
    // Checked now, so that bad caps fail at the call and nothing starts.
    state->limit_plan = detail::plan_child_limits(*options.limits);
    state->limits = options.limits;
  }
  return state;
}

// Python names a process after its class: Process-1, or MyWorker-1 for a
// subclass. The class is only known once the object is fully built, so the
// name is made on first use.
std::string class_name_of(const process& self) {
  const std::type_info& type = typeid(self);
  if (type == typeid(process)) return "Process";
  std::string full = detail::demangle(type.name());
  full = full.substr(0, full.find('<'));  // drop template arguments
  auto colon = full.rfind("::");
  return colon == std::string::npos ? full : full.substr(colon + 2);
}

void ensure_name_locked(const process& self, process_state& state) {
  if (!state.name.empty()) return;
  std::string name = class_name_of(self) + "-";
  for (std::size_t i = 0; i < state.identity.size(); ++i) {
    if (i != 0) name += ':';
    name += std::to_string(state.identity[i]);
  }
  state.name = std::move(name);
}

}  // namespace

process::process() : process(process_options{}) {}

process::process(process_options options)
    : state_(make_state(std::move(options))) {}

process::process(bound_target_t, process_options options,
                 detail::unique_callable target)
    : state_(make_state(std::move(options))) {
  state_->target = std::move(target);
}

process::process(std::shared_ptr<process_state> state) noexcept
    : state_(std::move(state)) {}

process::~process() = default;

void process::run() {
  if (state_->target) state_->target();
}

void process::start() { detail::start_process(*this, {}); }

}  // namespace multiproc::inline v0

namespace multiproc::inline v0::detail {

void start_process(process& self, const launch_options& options,
                   std::span<const passed_fd> fds) {
  // Starting a process is a guard too (API.md Part 5).
  serve_if_started_by_exec();
  const std::shared_ptr<process_state>& state = self.state();
  process_state& s = *state;
  registry& reg = registry::get();
  // What the child must know of its creator, taken before `starting` is set
  // so that nothing between here and the fork can throw and leave the
  // object stuck half started.
  std::string parent_name;
  bool parent_is_daemon = false;
  {
    std::lock_guard lock(reg.current()->mutex);
    parent_name = reg.current()->name;
    parent_is_daemon = reg.current()->daemon;
  }
  {
    std::lock_guard lock(s.mutex);
    s.throw_if_closed_locked();
    if (s.started || s.starting || s.kind != process_kind::child) {
      throw usage_error("cannot start a process twice");
    }
    if (s.creator_pid != this_pid()) {
      throw usage_error(
          "can only start a process object created by current process");
    }
    if (parent_is_daemon) {
      throw usage_error("daemonic processes are not allowed to have children");
    }
    ensure_name_locked(self, s);
    s.starting = true;
  }
  // Under spawn the child is told everything as bytes, made now, while an
  // error can still leave the object unstarted.
  const start_method method = resolve_start_method(s.method);
  portable_start portable;
  launcher* chosen = nullptr;
  try {
    chosen = &launcher_for(method);
    if (method != start_method::fork) {
      make_portable_start(self, s, method, parent_name, fds, portable);
      // A server that refuses to serve says why here (usage_error).
      if (method == start_method::forkserver) ensure_forkserver_ready();
    }
  } catch (...) {
    std::lock_guard lock(s.mutex);
    s.starting = false;
    throw;
  }
  // Registered before the fork, so that the parent writes as little as
  // possible while the child shares its pages (each first write costs a
  // copy-on-write fault on the critical path of start+join).
  try {
    reg.add_child(state);
  } catch (...) {
    std::lock_guard lock(s.mutex);
    s.starting = false;
    throw;
  }
  // From here until fork returns no lock of ours is held, so the child
  // inherits them all unlocked (it resets its own state's lock regardless).
  child_context context{&self, std::move(parent_name), this_pid()};
  launch_request request;
  request.child_main = &child_main;
  request.context = &context;
  request.kill_on_parent_death = s.kill_on_parent_death;
  if (s.limits) request.limits = &s.limit_plan;
  request.options = options;
  request.fds = fds;
  if (method != start_method::fork) {
    request.portable = &portable.request;
    request.fds = portable.fds;
  }
  flush_standard_streams();
  std::unique_ptr<child_handle> child;
  int err = chosen->launch(request, child);

  unique_callable dropped_target;
  bool registered_in_vain = err != 0;
  {
    std::lock_guard lock(s.mutex);
    s.starting = false;
    if (err == 0) {
      s.started = true;
      s.pid = child->pid();
      if (child->sentinel() < 0) {
        s.ended = true;  // reaped by someone else before we could look
        s.exitcode = kExitcodeUnknown;
        registered_in_vain = true;
      }
      s.child = std::move(child);
      // The parent drops its reference to the target (CPython bpo-30775);
      // the child has its own copy.
      dropped_target = std::move(s.target);
    }
  }
  if (registered_in_vain) reg.forget_child(&s);
  if (err != 0) {
    throw std::system_error(err, std::generic_category(),
                            launch_call_name(method));
  }
}

}  // namespace multiproc::inline v0::detail

namespace multiproc::inline v0 {

void process::join() { join_steady(std::nullopt); }

bool process::join_steady(std::optional<detail::steady_deadline> deadline) {
  {
    std::lock_guard lock(state_->mutex);
    state_->throw_if_closed_locked();
    if (state_->kind != process_kind::parent_view) {
      if (state_->creator_pid != this_pid()) {
        throw usage_error("can only join a child process");
      }
      if (!state_->started)
        throw usage_error("can only join a started process");
    }
  }
  return state_->wait_until(deadline);
}

bool process::is_alive() const {
  std::lock_guard lock(state_->mutex);
  state_->throw_if_closed_locked();
  if (registry::get().is_current(state_.get())) return true;
  switch (state_->kind) {
    case process_kind::main:
      throw usage_error("can only test a child process");
    case process_kind::parent_view:
      return state_->child && !state_->refresh_locked();
    case process_kind::child:
      if (state_->creator_pid != this_pid()) {
        throw usage_error("can only test a child process");
      }
      return state_->started && !state_->refresh_locked();
  }
  return false;
}

std::optional<int> process::exitcode() const {
  std::lock_guard lock(state_->mutex);
  state_->throw_if_closed_locked();
  if (!state_->started || !state_->reapable_here()) return std::nullopt;
  state_->refresh_locked();
  return state_->exitcode;
}

std::optional<multiproc::usage> process::usage() const {
  std::lock_guard lock(state_->mutex);
  state_->throw_if_closed_locked();
  if (!state_->started || !state_->reapable_here()) return std::nullopt;
  state_->refresh_locked();
  return state_->used;
}

std::optional<pid_t> process::pid() const {
  std::lock_guard lock(state_->mutex);
  state_->throw_if_closed_locked();
  if (registry::get().is_current(state_.get())) return this_pid();
  if (state_->kind == process_kind::parent_view || state_->started) {
    return state_->pid;
  }
  return std::nullopt;
}

std::string process::name() const {
  std::lock_guard lock(state_->mutex);
  ensure_name_locked(*this, *state_);
  return state_->name;
}

void process::set_name(std::string name) {
  std::lock_guard lock(state_->mutex);
  state_->name = std::move(name);
  // An empty name is generated again on next use, as Python's `name or ...`.
}

bool process::daemon() const {
  std::lock_guard lock(state_->mutex);
  return state_->daemon;
}

void process::set_daemon(bool daemon) {
  std::lock_guard lock(state_->mutex);
  // Python checks `_popen is None`, which close() makes true again.
  if ((state_->started || state_->starting) && !state_->closed) {
    throw usage_error("process has already started");
  }
  state_->daemon = daemon;
}

int process::sentinel() const {
  std::lock_guard lock(state_->mutex);
  state_->throw_if_closed_locked();
  const int fd = state_->child ? state_->child->sentinel() : -1;
  if (fd < 0) throw usage_error("process not started");
  return fd;
}

void process::terminate() { send_signal(SIGTERM); }
void process::kill() { send_signal(SIGKILL); }
void process::interrupt() { send_signal(SIGINT); }

bool process::stop(std::chrono::nanoseconds grace) {
  // join() first checks that we are the parent, before any signal is sent:
  // a copy in another process may signal, but could not wait.
  if (join(std::chrono::nanoseconds(0))) return true;
  terminate();
  if (join(grace)) return true;
  kill();
  join();
  return false;
}

void process::send_signal(int signo) {
  std::lock_guard lock(state_->mutex);
  state_->throw_if_closed_locked();
  // Python's _MainProcess and _ParentProcess have no terminate() at all.
  if (state_->kind != process_kind::child) {
    throw usage_error("can only signal a child process");
  }
  if (!state_->started) throw usage_error("process not started");
  // Through the handle: never to a reaped (possibly reused) pid.
  if (int err = state_->send_signal_locked(signo)) {
    throw std::system_error(err, std::generic_category(), "pidfd_send_signal");
  }
}

void process::close() {
  std::lock_guard lock(state_->mutex);
  if (state_->kind == process_kind::main || state_->closed) return;
  // A child may close its view of the parent at any time, as in Python.
  if (state_->kind == process_kind::child && state_->started &&
      !state_->refresh_locked()) {
    throw usage_error(
        "Cannot close a process while it is still running. You should first "
        "call join() or terminate().");
  }
  state_->closed = true;
  state_->release_child_locked();
  state_->target.reset();
}

process current_process() { return process(registry::get().current()); }

std::optional<process> parent_process() {
  auto parent = registry::get().parent();
  if (!parent) return std::nullopt;
  return process(parent);
}

std::vector<process> active_children() {
  std::vector<process> alive;
  for (auto& child : registry::get().children()) {
    std::lock_guard lock(child->mutex);
    // A child registered by a start() still forking is not active yet.
    if (child->started && !child->refresh_locked()) alive.emplace_back(child);
  }
  return alive;
}

}  // namespace multiproc::inline v0
