// The process-wide default start method (Python's set_start_method and
// get_start_method) and the rule that it is chosen once, before the first
// start.
#include "multiproc/start_method.hpp"

#include <atomic>
#include <mutex>

#include "launch/forkserver_client.hpp"
#include "multiproc/async.hpp"
#include "multiproc/errors.hpp"
#include "start/method_choice.hpp"

namespace multiproc::inline v0 {
namespace {

std::atomic<start_method> g_default{start_method::fork};
// Python's "context has already been set" covers both a second call and a
// call after a process was started (its default context gets fixed then).
std::atomic<bool> g_fixed{false};
std::mutex g_setting;

}  // namespace

std::string_view to_string(start_method method) noexcept {
  switch (method) {
    case start_method::fork:
      return "fork";
    case start_method::forkserver:
      return "forkserver";
    case start_method::spawn:
      return "spawn";
  }
  return "fork";
}

void set_start_method(start_method method, bool force) {
  // The guard: a spawned copy of the program becomes its child here.
  detail::serve_if_started_by_exec();
  {
    std::lock_guard lock(g_setting);
    if (g_fixed.load(std::memory_order_relaxed) && !force) {
      throw usage_error("context has already been set");
    }
    g_default.store(method, std::memory_order_relaxed);
    g_fixed.store(true, std::memory_order_relaxed);
  }
  // Its exec runs while main goes on; the first start waits for it.
  if (method == start_method::forkserver) detail::start_forkserver_early();
}

start_method get_start_method() noexcept {
  return g_default.load(std::memory_order_relaxed);
}

}  // namespace multiproc::inline v0

namespace multiproc::inline v0::detail {

start_method resolve_start_method(std::optional<start_method> chosen) noexcept {
  // The first start fixes the default, as Python's first use of its
  // default context does; a relaxed flag costs fork's path nothing.
  if (!g_fixed.load(std::memory_order_relaxed)) {
    g_fixed.store(true, std::memory_order_relaxed);
  }
  return chosen ? *chosen : g_default.load(std::memory_order_relaxed);
}

}  // namespace multiproc::inline v0::detail

namespace multiproc::inline v0::detail {

start_method async_start_method(std::optional<start_method> chosen) noexcept {
  serve_if_started_by_exec();
  return chosen ? *chosen : get_start_method();
}

}  // namespace multiproc::inline v0::detail
