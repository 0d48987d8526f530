#include "limits/task_scope.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>

#include "limits/usage_from.hpp"
#include "posix/io.hpp"
#include "posix/sys.hpp"

namespace multiproc::inline v0::detail {
namespace {

__rlimit_resource_t as_resource(int resource) noexcept {
  return static_cast<__rlimit_resource_t>(resource);
}

// RLIMIT_CPU counts the whole worker's CPU time, so a task's allowance is
// added to what the worker has used so far, rounded up to the kernel's
// whole seconds (the task gets at least its allowance, at most a second
// more).
rlim_t cpu_soft_for_task(std::uint64_t seconds) noexcept {
  rusage self{};
  ::getrusage(RUSAGE_SELF, &self);
  const auto used = static_cast<rlim_t>(self.ru_utime.tv_sec) +
                    static_cast<rlim_t>(self.ru_stime.tv_sec) + 1;
  return used + static_cast<rlim_t>(seconds);
}

}  // namespace

bool task_limit_scope::apply(std::span<const task_limit> list) noexcept {
  restore();
  for (const task_limit& limit : list) {
    const int resource = static_cast<int>(limit.resource);
    rlimit old{};
    if (::getrlimit(as_resource(resource), &old) != 0) break;
    rlimit lowered = old;
    lowered.rlim_cur = resource == RLIMIT_CPU ? cpu_soft_for_task(limit.soft)
                                              : static_cast<rlim_t>(limit.soft);
    // Never above the worker's hard limit (checked at submit against the
    // pool's caps; the worker's own may only be lower than planned if the
    // parent lowered its limits since).
    if (old.rlim_max != RLIM_INFINITY && lowered.rlim_cur > old.rlim_max) {
      lowered.rlim_cur = old.rlim_max;
    }
    if (::setrlimit(as_resource(resource), &lowered) != 0) break;
    saved_[count_++] = {resource, old};
    if (count_ == list.size()) return true;
  }
  if (count_ == list.size()) return true;
  restore();
  return false;
}

void task_limit_scope::restore() noexcept {
  // Soft limits go back up to at most the unchanged hard limit, which an
  // unprivileged process may always do.
  while (count_ > 0) {
    const rlimit_entry& e = saved_[--count_];
    (void)::setrlimit(as_resource(e.resource), &e.value);
  }
}

task_meter::~task_meter() {
  if (clear_refs_ >= 0) ::close(clear_refs_);
}

void task_meter::reset_peak() noexcept {
  if (clear_refs_ == -2) {
    // Opened once per worker, after its fork: /proc/self is the worker.
    clear_refs_ = sys::open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (clear_refs_ < 0) clear_refs_ = -1;
  }
  if (clear_refs_ < 0) return;
  // "5" resets the peak RSS to the current RSS (proc(5)), so that the next
  // task's max_rss is its own peak, not an earlier task's.
  static constexpr char kResetPeak[] = "5";
  if (sys::write(clear_refs_, kResetPeak, 1) != 1) {
    ::close(clear_refs_);
    clear_refs_ = -1;
  }
}

void task_meter::start() noexcept {
  settle();
  if (fresh_) return;
  if (!peak_at_baseline_) reset_peak();
  peak_at_baseline_ = false;
  ::getrusage(RUSAGE_SELF, &before_);
}

usage task_meter::finish() noexcept {
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  const usage used = usage_between(before_, after);
  // This task set a new peak: it comes back down, in settle(), before the
  // next one.
  reset_pending_ = after.ru_maxrss > before_.ru_maxrss && clear_refs_ != -1;
  before_ = after;
  fresh_ = true;
  peak_at_baseline_ = false;
  return used;
}

void task_meter::settle() noexcept {
  if (!reset_pending_) return;
  reset_pending_ = false;
  reset_peak();
  ::getrusage(RUSAGE_SELF, &before_);
}

}  // namespace multiproc::inline v0::detail
