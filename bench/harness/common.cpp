#include "common.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace bench {

double micros_since(steady::time_point start) {
  return std::chrono::duration<double, std::micro>(steady::now() - start)
      .count();
}

std::uint64_t monotonic_ns() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

shared_stamp::shared_stamp()
    : page_(::mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0)) {
  if (page_ == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(), "mmap");
  }
}

shared_stamp::~shared_stamp() { ::munmap(page_, 4096); }

void shared_stamp::write_now() noexcept {
  static_cast<std::atomic<std::uint64_t>*>(page_)->store(
      monotonic_ns(), std::memory_order_relaxed);
}

std::uint64_t shared_stamp::read() const noexcept {
  return static_cast<std::atomic<std::uint64_t>*>(page_)->load(
      std::memory_order_relaxed);
}

void add_ballast(std::size_t megabytes) {
  if (megabytes == 0) return;
  const std::size_t bytes = megabytes << 20;
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    throw std::system_error(errno, std::generic_category(), "mmap ballast");
  }
  ::madvise(p, bytes, MADV_NOHUGEPAGE);
  auto* bytes_ptr = static_cast<unsigned char*>(p);
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  for (std::size_t off = 0; off < bytes; off += page) {
    bytes_ptr[off] = static_cast<unsigned char>(off / page);
  }
}

std::string make_room_for(std::size_t children) {
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  if (files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  std::string problems;
  if (files.rlim_cur < children + 64) {
    problems += "RLIMIT_NOFILE " + std::to_string(files.rlim_cur) +
                " is below " + std::to_string(children + 64) + "; ";
  }
  rlimit procs{};
  ::getrlimit(RLIMIT_NPROC, &procs);
  if (procs.rlim_cur != RLIM_INFINITY && procs.rlim_cur < procs.rlim_max) {
    procs.rlim_cur = procs.rlim_max;
    ::setrlimit(RLIMIT_NPROC, &procs);
  }
  // RLIMIT_NPROC counts every process of the user, not just ours; leave a
  // margin for the other work on the machine.
  if (procs.rlim_cur != RLIM_INFINITY && procs.rlim_cur < children + 512) {
    problems += "RLIMIT_NPROC (ulimit -u) " + std::to_string(procs.rlim_cur) +
                " is below " + std::to_string(children + 512) + "; ";
  }
  std::ifstream pid_max_file("/proc/sys/kernel/pid_max");
  std::size_t pid_max = 0;
  if (pid_max_file >> pid_max && pid_max < children + 1024) {
    problems += "kernel.pid_max " + std::to_string(pid_max) + " is below " +
                std::to_string(children + 1024) + "; ";
  }
  return problems;
}

std::size_t rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

std::size_t heap_bytes() {
  struct mallinfo2 info = ::mallinfo2();
  return info.uordblks + info.hblkhd;
}

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  auto mid = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), mid, values.end());
  if (values.size() % 2 == 1) return *mid;
  double upper = *mid;
  double lower = *std::max_element(values.begin(), mid);
  return (lower + upper) / 2;
}

void record_many_children(results& out, double total_ms,
                          const std::vector<double>& start_us,
                          double heap_delta, double rss_delta) {
  out.add("total_ms", total_ms);
  double start_sum = 0;
  for (double us : start_us) start_sum += us;
  out.add("start_phase_ms", start_sum / 1e3);
  const auto edge = static_cast<std::ptrdiff_t>(kEdgeStarts);
  out.add("start_first100_us",
          median({start_us.begin(), start_us.begin() + edge}));
  out.add("start_last100_us", median({start_us.end() - edge, start_us.end()}));
  const auto n = static_cast<double>(start_us.size());
  out.add("heap_per_child_bytes", heap_delta / n);
  out.add("rss_per_child_bytes", rss_delta / n);
}

void results::print_json(const std::string& case_name) const {
  std::string text = "{\"case\": \"" + case_name + "\", \"metrics\": {";
  bool first_metric = true;
  for (const auto& [name, values] : metrics_) {
    if (!first_metric) text += ", ";
    first_metric = false;
    text += "\"" + name + "\": [";
    for (std::size_t i = 0; i < values.size(); ++i) {
      char number[32];
      std::snprintf(number, sizeof number, "%s%.3f", i == 0 ? "" : ", ",
                    values[i]);
      text += number;
    }
    text += "]";
  }
  text += "}}\n";
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace bench
