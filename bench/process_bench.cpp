// Google Benchmark micro-benchmarks of multiproc's own operations, each
// beside the bare system calls it is built on. For the side-by-side
// comparison with CPython and Boost, see bench/compare.py.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>

#include "multiproc/process.hpp"

#ifndef P_PIDFD
#define P_PIDFD 3  // Linux 5.4; glibc 2.36 headers may lack it.
#endif

namespace {

namespace mp = multiproc;

// A child blocked in read() until the returned fd is closed.
mp::process live_child(int& release_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) std::abort();
  mp::process child([read_fd = fds[0], write_fd = fds[1]] {
    ::close(write_fd);
    char byte;
    while (::read(read_fd, &byte, 1) < 0 && errno == EINTR) {
    }
  });
  child.start();
  ::close(fds[0]);
  release_fd = fds[1];
  return child;
}

void BM_RawForkWaitpid(benchmark::State& state) {
  for (auto _ : state) {
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    int status = 0;
    ::waitpid(pid, &status, 0);
    benchmark::DoNotOptimize(status);
  }
}
BENCHMARK(BM_RawForkWaitpid)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_StartJoin(benchmark::State& state) {
  for (auto _ : state) {
    mp::process child([] {});
    child.start();
    child.join();
  }
}
BENCHMARK(BM_StartJoin)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_StartJoinWithArgument(benchmark::State& state) {
  for (auto _ : state) {
    mp::process child([](int n) { benchmark::DoNotOptimize(n); }, 42);
    child.start();
    child.join();
  }
}
BENCHMARK(BM_StartJoinWithArgument)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Construction alone: no fork. Shows what a process object costs before
// start().
void BM_Construct(benchmark::State& state) {
  for (auto _ : state) {
    mp::process child([] {});
    benchmark::DoNotOptimize(child);
  }
}
BENCHMARK(BM_Construct);

void BM_RawWaitidPidfd(benchmark::State& state) {
  int release_fd = -1;
  mp::process child = live_child(release_fd);
  const int fd = child.sentinel();
  for (auto _ : state) {
    siginfo_t info{};
    ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &info,
             WEXITED | WNOHANG | WNOWAIT);
    benchmark::DoNotOptimize(info.si_pid);
  }
  ::close(release_fd);
  child.join();
}
BENCHMARK(BM_RawWaitidPidfd);

void BM_IsAlive(benchmark::State& state) {
  int release_fd = -1;
  mp::process child = live_child(release_fd);
  for (auto _ : state) benchmark::DoNotOptimize(child.is_alive());
  ::close(release_fd);
  child.join();
}
BENCHMARK(BM_IsAlive);

void BM_IsAliveFourThreads(benchmark::State& state) {
  static int release_fd = -1;
  static mp::process* child = nullptr;
  if (state.thread_index() == 0)
    child = new mp::process(live_child(release_fd));
  for (auto _ : state) benchmark::DoNotOptimize(child->is_alive());
  if (state.thread_index() == 0) {
    ::close(release_fd);
    child->join();
    delete child;
  }
}
BENCHMARK(BM_IsAliveFourThreads)->Threads(4)->UseRealTime();

void BM_ExitcodeAfterJoin(benchmark::State& state) {
  mp::process child([] {});
  child.start();
  child.join();
  for (auto _ : state) benchmark::DoNotOptimize(child.exitcode());
}
BENCHMARK(BM_ExitcodeAfterJoin);

// join(0) on a live child: one poll that finds nothing.
void BM_JoinZeroTimeout(benchmark::State& state) {
  int release_fd = -1;
  mp::process child = live_child(release_fd);
  for (auto _ : state) {
    benchmark::DoNotOptimize(child.join(std::chrono::seconds(0)));
  }
  ::close(release_fd);
  child.join();
}
BENCHMARK(BM_JoinZeroTimeout);

void BM_RawPollPidfdZero(benchmark::State& state) {
  int release_fd = -1;
  mp::process child = live_child(release_fd);
  pollfd p{child.sentinel(), POLLIN, 0};
  for (auto _ : state) benchmark::DoNotOptimize(::poll(&p, 1, 0));
  ::close(release_fd);
  child.join();
}
BENCHMARK(BM_RawPollPidfdZero);

}  // namespace

BENCHMARK_MAIN();
