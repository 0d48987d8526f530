#include "start/portable_start.hpp"

#include <algorithm>
#include <typeinfo>

#include "launch/argument_file.hpp"
#include "multiproc/detail/portable_call.hpp"
#include "multiproc/errors.hpp"
#include "posix/this_pid.hpp"
#include "remote/module_exchange.hpp"

namespace multiproc::inline v0::detail {

void make_portable_start(const process& self, const process_state& s,
                         start_method method, const std::string& parent_name,
                         std::span<const passed_fd> fds, portable_start& out) {
  const std::string name(to_string(method));
  // A subclass's run() is code on an object the child cannot rebuild.
  if (typeid(self) != typeid(process)) {
    throw usage_error(
        "a process subclass can only be started with the 'fork' start method");
  }
  out.fds.assign(fds.begin(), fds.end());
  portable_request& request = out.request;
  portable_context& c = request.context;
  c.name = s.name;
  c.parent_name = parent_name;
  c.creator_pid = this_pid();
  c.identity = s.identity;
  c.daemon = s.daemon;
  c.kill_on_parent_death = s.kill_on_parent_death;
  if (!s.target) return;  // process(): run() does nothing, as under fork
  portable_call call;
  argument_writer arguments;
  if (!s.target.encode_portable(call, arguments.out())) {
    throw usage_error("the '" + name +
                      "' start method cannot send this target: use a function "
                      "pointer, a captureless lambda or an empty function "
                      "object, with arguments multiproc::codec can transfer");
  }
  // The target names code in our module table; the table goes with it, so
  // that the child (other load bases) can match modules by build-id.
  encoder target;
  target.write(remote::encode_modules(remote::describe_modules()));
  target.write(call.entry);
  target.write(static_cast<std::uint8_t>(call.has_function));
  target.write(call.function);
  request.target = std::move(target).take_bytes();
  out.arguments_file = arguments.finish(request.arguments);
  if (out.arguments_file) {
    // Numbered above every fd the caller passes, so that it takes none of
    // their places in the child.
    int child_fd = 2;
    for (const passed_fd& p : fds) child_fd = std::max(child_fd, p.child_fd);
    request.arguments_fd = child_fd + 1;
    out.fds.push_back({out.arguments_file.get(), request.arguments_fd});
  }
}

}  // namespace multiproc::inline v0::detail
