// Checking a `limits` in the parent and turning it into setrlimit() calls.
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "limits/rlimit_plan.hpp"
#include "multiproc/errors.hpp"

namespace multiproc::inline v0::detail {
namespace {

// One cap as the parent checks it: its name for messages, the resource,
// and the requested value in the kernel's unit.
struct requested {
  const char* name;
  int resource;
  rlim_t value;
};

rlimit current_limit(int resource) noexcept {
  rlimit now{RLIM_INFINITY, RLIM_INFINITY};
  // getrlimit cannot fail for a valid resource; if it did, "unlimited"
  // leaves the check to the child's setrlimit.
  (void)::getrlimit(static_cast<__rlimit_resource_t>(resource), &now);
  return now;
}

void check_positive(const char* name, long long value) {
  if (value <= 0) {
    throw usage_error(std::string("limits: ") + name + " must be positive");
  }
}

// A cap above what this process may have would be silently clamped by
// nobody and refused by the kernel in the child (or, for a privileged
// parent, granted: a child with more than its parent). Refuse it here.
void check_below_hard(const char* name, rlim_t value, rlim_t hard) {
  if (hard == RLIM_INFINITY || value <= hard) return;
  throw std::system_error(
      EPERM, std::generic_category(),
      std::string("limits: ") + name + " of " + std::to_string(value) +
          " is above this process's hard limit of " + std::to_string(hard));
}

template <class Add>
void for_each_cap(const limits& caps, Add add) {
  if (caps.address_space) {
    check_positive("address_space",
                   static_cast<long long>(*caps.address_space));
    add(requested{"address_space", RLIMIT_AS, *caps.address_space});
  }
  if (caps.data) {
    check_positive("data", static_cast<long long>(*caps.data));
    add(requested{"data", RLIMIT_DATA, *caps.data});
  }
  if (caps.open_files) {
    check_positive("open_files", static_cast<long long>(*caps.open_files));
    add(requested{"open_files", RLIMIT_NOFILE, *caps.open_files});
  }
  if (caps.file_size) {
    check_positive("file_size", static_cast<long long>(*caps.file_size));
    add(requested{"file_size", RLIMIT_FSIZE, *caps.file_size});
  }
}

// The soft and hard CPU seconds a child's caps ask for, checked.
std::optional<rlimit> cpu_request(const limits& caps) {
  if (!caps.cpu_time && !caps.cpu_time_hard) return std::nullopt;
  if (caps.cpu_time) check_positive("cpu_time", caps.cpu_time->count());
  if (caps.cpu_time_hard) {
    check_positive("cpu_time_hard", caps.cpu_time_hard->count());
  }
  if (caps.cpu_time && caps.cpu_time_hard &&
      *caps.cpu_time_hard < *caps.cpu_time) {
    throw usage_error("limits: cpu_time_hard must not be below cpu_time");
  }
  rlimit cpu{};
  if (caps.cpu_time) {
    cpu.rlim_cur = static_cast<rlim_t>(caps.cpu_time->count());
    // One second of grace after SIGXCPU: a child that catches it may still
    // finish its line, one that ignores it is killed.
    cpu.rlim_max = caps.cpu_time_hard
                       ? static_cast<rlim_t>(caps.cpu_time_hard->count())
                       : cpu.rlim_cur + 1;
  } else {
    cpu.rlim_cur = cpu.rlim_max =
        static_cast<rlim_t>(caps.cpu_time_hard->count());
  }
  return cpu;
}

}  // namespace

rlimit_plan plan_child_limits(const limits& caps) {
  rlimit_plan plan;
  auto push = [&plan](int resource, rlimit value) {
    plan.entries[plan.count++] = {resource, value};
  };
  for_each_cap(caps, [&](const requested& r) {
    check_below_hard(r.name, r.value, current_limit(r.resource).rlim_max);
    push(r.resource, {r.value, r.value});
  });
  if (auto cpu = cpu_request(caps)) {
    const rlim_t hard = current_limit(RLIMIT_CPU).rlim_max;
    check_below_hard("cpu_time", cpu->rlim_cur, hard);
    check_below_hard("cpu_time_hard", cpu->rlim_max, hard);
    push(RLIMIT_CPU, *cpu);
  }
  if (!caps.core_dumps) {
    push(RLIMIT_CORE, {0, current_limit(RLIMIT_CORE).rlim_max});
  }
  return plan;
}

task_limit_list plan_task_limits(const limits& caps,
                                 const std::optional<limits>& worker_caps) {
  if (caps.cpu_time_hard) {
    throw usage_error(
        "limits: cpu_time_hard cannot be set for a pool task (its worker's "
        "hard limits outlive it); use pool_options::limits");
  }
  // The hard limits a worker will have: the pool's caps where it has them,
  // this process's elsewhere.
  const rlimit_plan workers =
      worker_caps ? plan_child_limits(*worker_caps) : rlimit_plan{};
  auto worker_hard = [&workers](int resource) {
    for (std::size_t i = 0; i < workers.count; ++i) {
      if (workers.entries[i].resource == resource) {
        return workers.entries[i].value.rlim_max;
      }
    }
    return current_limit(resource).rlim_max;
  };
  task_limit_list list;
  auto push = [&list](int resource, std::uint64_t soft) {
    list.entries[list.count++] = {static_cast<std::uint32_t>(resource), 0,
                                  soft};
  };
  for_each_cap(caps, [&](const requested& r) {
    check_below_hard(r.name, r.value, worker_hard(r.resource));
    push(r.resource, r.value);
  });
  if (caps.cpu_time) {
    check_positive("cpu_time", caps.cpu_time->count());
    push(RLIMIT_CPU, static_cast<std::uint64_t>(caps.cpu_time->count()));
  }
  // core_dumps: a worker's own setting stands; a task cannot change it
  // back and forth usefully (the signal that dumps ends the worker).
  return list;
}

std::vector<std::byte> encode_task_limits(const task_limit_list& list) {
  std::vector<std::byte> bytes(list.count * sizeof(task_limit));
  if (!bytes.empty()) {
    std::memcpy(bytes.data(), list.entries.data(), bytes.size());
  }
  return bytes;
}

bool apply_child_limits(const rlimit_plan& plan) noexcept {
  for (std::size_t i = 0; i < plan.count; ++i) {
    const rlimit_entry& e = plan.entries[i];
    if (::setrlimit(static_cast<__rlimit_resource_t>(e.resource), &e.value) !=
        0) {
      return false;
    }
  }
  return true;
}

}  // namespace multiproc::inline v0::detail
