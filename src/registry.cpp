#include "registry.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "launch/kernel_child.hpp"
#include "multiproc/exit_policy.hpp"
#include "multiproc/process.hpp"
#include "posix/pidfd.hpp"
#include "posix/this_pid.hpp"
#include "process_state.hpp"

namespace multiproc::inline v0::detail {
namespace {

std::atomic<registry*> g_registry{nullptr};
std::atomic<registry::exit_step> g_first_exit_step{nullptr};

// SIGTERM or SIGKILL to every child in `children` that is still running.
void signal_running(const std::vector<std::shared_ptr<process_state>>& children,
                    int signo) {
  for (const auto& child : children) {
    std::lock_guard lock(child->mutex);
    if (!child->refresh_locked()) child->send_signal_locked(signo);
  }
}

void finish_children_at_exit() { registry::get().finish_children(); }

std::shared_ptr<process_state> make_main_process() {
  auto main = std::make_shared<process_state>(process_kind::main, 0,
                                              std::vector<unsigned>{});
  main->name = "MainProcess";
  return main;
}

}  // namespace

registry::registry(std::shared_ptr<process_state> current,
                   std::optional<creator> parent) noexcept
    : owner_(this_pid()), current_(std::move(current)), creator_(parent) {}

registry& registry::get() {
  if (registry* r = g_registry.load(std::memory_order_acquire)) return *r;
  // First use in the main process. A child never gets here: its registry is
  // installed by reset_in_child() before any other code runs.
  static registry* main = [] {
    // Never destroyed, so it is still there when the exit handler runs,
    // whatever order static destructors take.
    auto* r = new registry(make_main_process(), std::nullopt);
    g_registry.store(r, std::memory_order_release);
    // Registered once; children inherit it through fork and run it against
    // their own (reset) registry if user code in them calls std::exit.
    std::atexit(finish_children_at_exit);
    return r;
  }();
  return *main;
}

void registry::reset_in_child(std::shared_ptr<process_state> self,
                              creator parent) noexcept {
  // Every child builds its registry in this buffer. The inherited registry
  // (the main process's on the heap, or the creator's here) is abandoned,
  // never destroyed: its mutex may be held by a thread that does not exist
  // here, and destroying it would run the destructors of the parent's
  // process objects in the child.
  alignas(registry) static unsigned char storage[sizeof(registry)];
  g_registry.store(new (storage) registry(std::move(self), parent),
                   std::memory_order_release);
}

std::shared_ptr<process_state> registry::parent() {
  std::lock_guard lock(mutex_);
  if (parent_ || !creator_) return parent_;
  auto view = std::make_shared<process_state>(process_kind::parent_view, 0,
                                              std::vector<unsigned>{});
  view->name = *creator_->name;
  view->pid = creator_->pid;
  view->started = true;
  // The pidfd is the creator's if, after opening it, the creator is still
  // our parent; otherwise it had died (and the pid could already name
  // another process), so there is nothing to watch: it has ended.
  unique_fd fd;
  if (creator_->pidfd >= 0) {
    view->child =
        kernel_child::watch(creator_->pid, unique_fd(creator_->pidfd));
    creator_->pidfd = -1;
  } else if (pidfd::open_any(creator_->pid, fd) == 0 &&
             ::getppid() == creator_->pid) {
    view->child = kernel_child::watch(creator_->pid, std::move(fd));
  } else {
    view->ended = true;
  }
  parent_ = std::move(view);
  return parent_;
}

std::vector<unsigned> registry::next_identity() {
  std::vector<unsigned> id = current_->identity;
  std::lock_guard lock(mutex_);
  id.push_back(++counter_);
  return id;
}

void registry::add_child(std::shared_ptr<process_state> child) {
  std::lock_guard lock(mutex_);
  const process_state* key = child.get();
  children_.emplace(key, std::move(child));
}

void registry::forget_child(const process_state* child) {
  std::shared_ptr<process_state> last_reference;
  {
    std::lock_guard lock(mutex_);
    auto it = children_.find(child);
    if (it == children_.end()) return;
    // Destroy outside the lock: the state's destructor closes its pidfd.
    last_reference = std::move(it->second);
    children_.erase(it);
  }
}

std::vector<std::shared_ptr<process_state>> registry::children() {
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<process_state>> result;
  result.reserve(children_.size());
  for (const auto& entry : children_) result.push_back(entry.second);
  return result;
}

void registry::finish_children() noexcept {
  // The atexit handler is inherited by every fork. A raw fork() child (say a
  // fork+exec whose exec failed and which then called exit()) still sees the
  // parent's registry and the parent's pidfds: without this check it would
  // SIGTERM the parent's daemon children and wait for all the others.
  if (this_pid() != owner_) return;
  try {
    const exit_policy policy = get_exit_policy();
    std::optional<steady_deadline> deadline;
    if (policy.join_timeout) {
      deadline = deadline_after(*policy.join_timeout);
    }
    if (exit_step first = g_first_exit_step.load()) first(deadline);
    auto children_now = children();
    if (children_now.empty()) return;  // most children never start one
    for (const auto& child : children_now) {
      std::lock_guard lock(child->mutex);
      if (child->daemon && !child->refresh_locked()) {
        child->send_signal_locked(SIGTERM);
      }
    }
    for (const auto& child : children_now) child->wait_until(deadline);
    if (!deadline) return;  // Python's policy: every child has ended.
    // The bounded policy (multiproc/exit_policy.hpp): the time is up.
    signal_running(children_now, SIGTERM);
    const auto grace = deadline_after(policy.terminate_grace);
    for (const auto& child : children_now) child->wait_until(grace);
    signal_running(children_now, SIGKILL);
    for (const auto& child : children_now) child->wait_until(std::nullopt);
  } catch (...) {
    // At exit there is nobody left to report to; the children we could not
    // join are orphaned, as when the parent is killed.
  }
}

void registry::set_first_exit_step(exit_step step) noexcept {
  g_first_exit_step.store(step);
}

}  // namespace multiproc::inline v0::detail
