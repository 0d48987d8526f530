#include "child_main.hpp"

#include <unistd.h>

#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>

#include "multiproc/process.hpp"
#include "posix/demangle.hpp"
#include "posix/pidfd.hpp"
#include "process_state.hpp"
#include "registry.hpp"
#include "std_streams.hpp"

namespace multiproc::inline v0::detail {
namespace {

thread_local bool t_child_main_thread = false;

// Python prints "Process <name>:" and the traceback; we print the header
// and the exception's type and what(). Called inside a catch block.
void report_uncaught_exception(const std::string& name) noexcept {
  try {
    std::string text =
        "Process " + name + ":\n" + current_exception_type_name();
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
    // A reference, not a copy: a fresh child should write to as few
    // inherited pages as it can (each write costs a copy-on-write fault).
    const std::shared_ptr<process_state>& self = context.self->state();
    // Another thread of the parent may have held this lock at fork time.
    new (&self->mutex) std::mutex;
    registry::reset_in_child(
        self, {&context.parent_name, context.parent_pid, context.parent_pidfd});
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

}  // namespace multiproc::inline v0::detail
