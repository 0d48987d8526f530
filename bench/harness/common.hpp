// Shared pieces of the comparison harness: clocks, a page shared with
// children, a touched "ballast" to make the parent large, process limits,
// and the JSON a case run prints for bench/compare.py.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace bench {

using steady = std::chrono::steady_clock;

/// Microseconds elapsed since `start`.
double micros_since(steady::time_point start);

/// CLOCK_MONOTONIC in nanoseconds: the clock CPython's
/// time.clock_gettime_ns(time.CLOCK_MONOTONIC) reads, so stamps written by
/// a child of any implementation compare with the parent's reading.
std::uint64_t monotonic_ns();

/// One page mapped MAP_SHARED before fork, so a child's writes are seen by
/// the parent. The child stores a timestamp as its last action.
class shared_stamp {
 public:
  shared_stamp();
  ~shared_stamp();
  shared_stamp(const shared_stamp&) = delete;
  shared_stamp& operator=(const shared_stamp&) = delete;
  /// Async-signal-safe: a relaxed atomic store.
  void write_now() noexcept;
  std::uint64_t read() const noexcept;

 private:
  void* page_;
};

/// Maps `megabytes` of private anonymous memory and writes every page, so
/// each fork must copy that many page-table entries. Kept for the process
/// lifetime. Transparent huge pages are refused (MADV_NOHUGEPAGE) so the
/// figure does not depend on the THP setting.
void add_ballast(std::size_t megabytes);

/// Raises RLIMIT_NOFILE to its hard limit (2,000 children hold 2,000
/// pidfds) and checks that RLIMIT_NPROC and pid_max leave room for
/// `children` more processes. Returns an explanation when they do not.
std::string make_room_for(std::size_t children);

/// Resident set size of this process in bytes (/proc/self/statm).
std::size_t rss_bytes();
/// Bytes in use by malloc (mallinfo2().uordblks + hblkhd).
std::size_t heap_bytes();

/// Samples of one case run: metric name to values.
class results {
 public:
  void add(const std::string& metric, double value) {
    metrics_[metric].push_back(value);
  }
  /// One JSON object on stdout: {"case": ..., "metrics": {...}}.
  void print_json(const std::string& case_name) const;

 private:
  std::map<std::string, std::vector<double>> metrics_;
};

/// A case runs `iterations` times and records its samples. Units are in the
/// metric names (`_us`, `_ms`, `_bytes`).
using case_fn = std::function<void(int iterations, results& out)>;

struct case_def {
  std::string name;
  case_fn run;
};

/// The cases of each implementation, defined in their own files.
void add_floor_cases(std::vector<case_def>& cases);
void add_multiproc_cases(std::vector<case_def>& cases);
void add_boost_cases(std::vector<case_def>& cases);
void add_pool_cases(std::vector<case_def>& cases);

/// The median of `values` (copied, so the caller's order is kept).
double median(std::vector<double> values);

/// How long children in the wake case wait before their last action, so
/// the parent is parked in its wait when the child ends: the figure is then
/// the wake-up path, not a race with the parent's own start-up.
inline constexpr auto kWakeChildDelay = std::chrono::milliseconds(2);
/// The join timeout whose overshoot is measured.
inline constexpr auto kOvershootTimeout = std::chrono::milliseconds(50);
/// How many calls one is_alive sample averages over.
inline constexpr int kIsAliveBatch = 10000;
/// The concurrent-children case.
inline constexpr std::size_t kManyChildren = 2000;
inline constexpr auto kManyChildrenSleep = std::chrono::milliseconds(100);
inline constexpr std::size_t kEdgeStarts = 100;

/// The pool cases (bench/python/pool_cases.py uses the same numbers).
inline constexpr unsigned kPoolWorkers = 2;
/// Tasks per throughput sample.
inline constexpr std::size_t kPoolTinyTasks = 20000;
/// The CPU-bound map: this many tasks of about this many milliseconds.
inline constexpr std::size_t kPoolCpuTasks = 16;
inline constexpr double kPoolCpuTaskMs = 80;

/// Records the figures of the many-children case from per-start times.
void record_many_children(results& out, double total_ms,
                          const std::vector<double>& start_us,
                          double heap_delta, double rss_delta);

}  // namespace bench
