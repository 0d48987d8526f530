#include "mpi/code_checks.hpp"

#include <string>
#include <utility>

#include "multiproc/detail/remote_call.hpp"
#include "multiproc/errors.hpp"
#include "remote/module_table.hpp"

namespace multiproc::inline v0::detail::mpi {
namespace {

// Written once by world's constructor, before any pool exists; read only
// after.
std::size_t modules_at_world = 0;
std::map<std::uint32_t, std::vector<int>> differing_modules;

std::string path_of(std::uint32_t module) {
  const remote::module_snapshot& modules = remote::current_modules();
  if (module < modules.modules.size()) return modules.modules[module].path;
  return "module #" + std::to_string(module);
}

void check_code_at(std::uintptr_t address) {
  code_ref ref;
  // Code in no module at all: the worker's resolve refuses it, as locally.
  if (!try_name_code(address, ref)) return;
  if (ref.module >= modules_at_world) {
    throw usage_error("the task's code is in " + path_of(ref.module) +
                      ", loaded after multiproc::mpi::world was created");
  }
  auto it = differing_modules.find(ref.module);
  if (it == differing_modules.end()) return;
  std::string ranks;
  for (int rank : it->second) {
    if (!ranks.empty()) ranks += ", ";
    ranks += std::to_string(rank);
  }
  throw usage_error("the task's code is in " + path_of(ref.module) +
                    ", which differs on rank " + ranks + " (build-id)");
}

}  // namespace

void record_world_modules(std::size_t modules_sent,
                          std::map<std::uint32_t, std::vector<int>> differing) {
  modules_at_world = modules_sent;
  differing_modules = std::move(differing);
}

void check_task_code(const task_record& task) {
  check_code_at(reinterpret_cast<std::uintptr_t>(task.entry));
  if (task.callable != 0) check_code_at(task.callable);
}

}  // namespace multiproc::inline v0::detail::mpi
