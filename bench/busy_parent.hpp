// The big, busy parent of API.md's Part 5 speed rows: 200 MB touched and 4
// threads spinning on their own memory, for as long as the object lives.
// Shared by multiproc_start_bench and multiproc_start_pool_bench.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstring>
#include <thread>
#include <vector>

namespace start_bench {

class busy_parent {
 public:
  busy_parent() : memory_(std::size_t{200} << 20) {
    std::memset(memory_.data(), 1, memory_.size());
    for (int t = 0; t < 4; ++t) {
      spinners_.emplace_back([this] {
        volatile unsigned long spin = 0;
        while (!stop_.load(std::memory_order_relaxed)) spin = spin + 1;
      });
    }
  }
  ~busy_parent() {
    stop_ = true;
    for (std::thread& t : spinners_) t.join();
  }
  busy_parent(const busy_parent&) = delete;
  busy_parent& operator=(const busy_parent&) = delete;

  /// True while the memory still holds what was written (the caller's exit
  /// code uses it, so that the compiler keeps the memory touched).
  bool intact() const { return memory_[12345] == 1; }

 private:
  std::vector<char> memory_;
  std::atomic<bool> stop_{false};
  std::vector<std::thread> spinners_;
};

}  // namespace start_bench
