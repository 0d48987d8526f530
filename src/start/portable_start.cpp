#include "start/portable_start.hpp"

#include <typeinfo>

#include "multiproc/detail/portable_call.hpp"
#include "multiproc/errors.hpp"
#include "posix/this_pid.hpp"
#include "remote/module_exchange.hpp"

namespace multiproc::inline v0::detail {

void make_portable_request(const process& self, const process_state& s,
                           start_method method, const std::string& parent_name,
                           portable_request& out) {
  const std::string name(to_string(method));
  // A subclass's run() is code on an object the child cannot rebuild.
  if (typeid(self) != typeid(process)) {
    throw usage_error(
        "a process subclass can only be started with the 'fork' start method");
  }
  portable_context& c = out.context;
  c.name = s.name;
  c.parent_name = parent_name;
  c.creator_pid = this_pid();
  c.identity = s.identity;
  c.daemon = s.daemon;
  c.kill_on_parent_death = s.kill_on_parent_death;
  if (!s.target) return;  // process(): run() does nothing, as under fork
  portable_call call;
  if (!s.target.encode_portable(call)) {
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
  out.target = std::move(target).take_bytes();
  out.arguments = std::move(call.arguments);
}

}  // namespace multiproc::inline v0::detail
