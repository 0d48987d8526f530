#include "child_main.hpp"

#include <cxxabi.h>
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "multiproc/process.hpp"
#include "posix/pidfd.hpp"
#include "process_state.hpp"
#include "registry.hpp"
#include "std_streams.hpp"

namespace multiproc::detail {
namespace {

thread_local bool t_child_main_thread = false;

// parent_process() in the child: watches the creator through a pidfd, so it
// follows the creator's own life and not a pipe a sibling may hold open.
std::shared_ptr<process_state> make_parent_view(const child_context& context) {
  auto parent = std::make_shared<process_state>(process_kind::parent_view, 0,
                                                std::vector<unsigned>{});
  parent->name = context.parent_name;
  parent->pid = context.parent_pid;
  parent->started = true;
  unique_fd fd;
  // The pidfd is proven to be our parent's if, after opening it, the parent
  // is still our parent; otherwise the parent had died (and the pid could
  // already name another process), so we watch nothing: it has ended.
  if (pidfd::open_any(context.parent_pid, fd) == 0 &&
      ::getppid() == context.parent_pid) {
    parent->pidfd = std::move(fd);
  } else {
    parent->ended = true;
  }
  return parent;
}

std::string demangled_current_exception_type() {
  std::type_info* type = abi::__cxa_current_exception_type();
  if (type == nullptr) return "unknown exception";
  int status = 0;
  char* name = abi::__cxa_demangle(type->name(), nullptr, nullptr, &status);
  std::string result = status == 0 ? name : type->name();
  std::free(name);
  return result;
}

// Python prints "Process <name>:" and the traceback; we print the header
// and the exception's type and what(). Called inside a catch block.
void report_uncaught_exception(const std::string& name) noexcept {
  try {
    std::string text =
        "Process " + name + ":\n" + demangled_current_exception_type();
    try {
      throw;
    } catch (const std::exception& e) {
      text += ": ";
      text += e.what();
    } catch (...) {
    }
    text += '\n';
    std::fflush(stdout);
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
  } catch (...) {
    std::fputs("Process: uncaught exception\n", stderr);
  }
}

}  // namespace

bool on_child_main_thread() noexcept { return t_child_main_thread; }

void finish_child(int code) noexcept {
  registry::get().finish_children();
  flush_standard_streams();
  ::_exit(code & 0xFF);
}

void child_main(void* raw_context) noexcept {
  auto& context = *static_cast<child_context*>(raw_context);
  int code = 1;
  try {
    std::shared_ptr<process_state> self = context.self->state();
    // Another thread of the parent may have held this lock at fork time.
    new (&self->mutex) std::mutex;
    registry::reset_in_child(self, make_parent_view(context));
    t_child_main_thread = true;
    try {
      context.self->run();
      code = 0;
    } catch (const exit_request& request) {
      code = request.code;
    } catch (...) {
      std::string name;
      {
        std::lock_guard lock(self->mutex);
        name = self->name;
      }
      report_uncaught_exception(name);
      code = 1;
    }
  } catch (...) {
    std::fputs("multiproc: child setup failed\n", stderr);
  }
  finish_child(code);
}

}  // namespace multiproc::detail
