// What the Part 4 benchmarks measure against, in the same run: the native
// floor of spec/ipc.md §3 (its e09 program), rebuilt here so that the
// project's benchmark needs nothing outside the repository. Also the
// report format every Part 4 bench program prints (one line per row, read
// by bench/ipc_compare.py):
//
//   row  median  unit  (p10 .. p90)
#pragma once

#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

namespace ipc_bench {

using clock_type = std::chrono::steady_clock;

inline void pin(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(static_cast<std::size_t>(cpu), &set);
  (void)sched_setaffinity(0, sizeof set, &set);
}

inline void unpin() {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(0, &set);
  CPU_SET(1, &set);
  (void)sched_setaffinity(0, sizeof set, &set);
}

inline double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

inline void report(const char* row, const char* unit,
                   std::vector<double> runs) {
  std::sort(runs.begin(), runs.end());
  const auto at = [&](double f) {
    return runs[static_cast<std::size_t>(f *
                                         static_cast<double>(runs.size() - 1))];
  };
  std::printf("%-34s %14.0f %-8s (%.0f .. %.0f)\n", row, at(0.5), unit, at(0.1),
              at(0.9));
  std::fflush(stdout);
}

inline std::vector<double> repeat(int runs,
                                  const std::function<double()>& once) {
  std::vector<double> out;
  for (int i = 0; i < runs; ++i) out.push_back(once());
  return out;
}

inline void* shared_page() {
  void* page = mmap(nullptr, 4096, PROT_READ | PROT_WRITE,
                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) std::abort();
  return page;  // zero-filled
}

// Runs `child` in a raw fork (the floor uses no multiproc at all) and
// returns its pid.
inline pid_t fork_floor_child(const std::function<void()>& child) {
  const pid_t pid = fork();
  if (pid == 0) {
    child();
    _exit(0);
  }
  return pid;
}

inline void reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
  }
}

// Two futex words, each side spins briefly (2,000 pauses) then sleeps: the
// cheapest blocking round trip between two processes. The child runs on
// `child_cpu`, the caller on CPU 0. Round trips per second.
inline double futex_ping_pong(int trips, int child_cpu) {
  auto* words = static_cast<std::uint32_t*>(shared_page());
  std::uint32_t* ping = words;
  std::uint32_t* pong = words + 32;  // another cache line
  const auto futex = [](std::uint32_t* word, int op, std::uint32_t value) {
    return syscall(SYS_futex, word, op, value, nullptr, nullptr, 0);
  };
  const auto await = [&](std::uint32_t* w, std::uint32_t want) {
    std::atomic_ref<std::uint32_t> a(*w);
    for (int i = 0; i < 2000; ++i) {
      if (a.load() == want) return;
      __builtin_ia32_pause();
    }
    std::uint32_t seen = 0;
    while ((seen = a.load()) != want) futex(w, FUTEX_WAIT, seen);
  };
  const auto post = [&](std::uint32_t* w, std::uint32_t value) {
    std::atomic_ref<std::uint32_t>(*w).store(value);
    futex(w, FUTEX_WAKE, 1);
  };
  const pid_t child = fork_floor_child([&] {
    pin(child_cpu);
    for (int i = 1; i <= trips; ++i) {
      await(ping, static_cast<std::uint32_t>(i));
      post(pong, static_cast<std::uint32_t>(i));
    }
  });
  pin(0);
  const auto start = clock_type::now();
  for (int i = 1; i <= trips; ++i) {
    post(ping, static_cast<std::uint32_t>(i));
    await(pong, static_cast<std::uint32_t>(i));
  }
  const double s = seconds_since(start);
  reap(child);
  unpin();
  munmap(words, 4096);
  return static_cast<double>(trips) / s;
}

// A process-shared robust pthread mutex in a shared page (what a careful C
// programmer writes by hand; glibc's fast path).
inline pthread_mutex_t* robust_mutex() {
  auto* m = static_cast<pthread_mutex_t*>(shared_page());
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
  pthread_mutex_init(m, &attr);
  pthread_mutexattr_destroy(&attr);
  return m;
}

// Uncontended lock+unlock pairs per second.
inline double robust_mutex_pairs(long n) {
  pthread_mutex_t* m = robust_mutex();
  const auto start = clock_type::now();
  for (long i = 0; i < n; ++i) {
    pthread_mutex_lock(m);
    pthread_mutex_unlock(m);
  }
  const double rate = static_cast<double>(n) / seconds_since(start);
  munmap(m, 4096);
  return rate;
}

// Two processes (CPU 0 and 1) each increment a shared counter n times under
// the mutex: increments per second in total.
inline double robust_mutex_two_processes(long n) {
  pthread_mutex_t* m = robust_mutex();
  auto* counter = reinterpret_cast<long*>(reinterpret_cast<char*>(m) + 2048);
  const auto work = [&](int cpu) {
    pin(cpu);
    for (long i = 0; i < n; ++i) {
      pthread_mutex_lock(m);
      ++*counter;
      pthread_mutex_unlock(m);
    }
  };
  const auto start = clock_type::now();
  const pid_t a = fork_floor_child([&] { work(0); });
  const pid_t b = fork_floor_child([&] { work(1); });
  reap(a);
  reap(b);
  const double rate = static_cast<double>(2 * n) / seconds_since(start);
  if (*counter != 2 * n) std::fprintf(stderr, "robust mutex: lost counts\n");
  munmap(m, 4096);
  return rate;
}

}  // namespace ipc_bench
