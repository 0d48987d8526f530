// Our library through its public API only, doing what each floor case does.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <thread>

#include "common.hpp"
#include "multiproc/process.hpp"

namespace bench {
namespace {

namespace mp = multiproc;

void start_join(int iterations, results& out) {
  for (int i = 0; i < iterations; ++i) {
    auto t0 = steady::now();
    mp::process child([] {});
    child.start();
    child.join();
    out.add("latency_us", micros_since(t0));
  }
}

// The callable stamps the shared page and returns; the library's own exit
// path in the child (flush, join grandchildren, _exit) is part of the
// figure, as it is part of every real child.
void wake(int iterations, results& out) {
  shared_stamp stamp;
  for (int i = 0; i < iterations; ++i) {
    mp::process child([&stamp] {
      std::this_thread::sleep_for(kWakeChildDelay);
      stamp.write_now();
    });
    child.start();
    child.join();
    const std::uint64_t now = monotonic_ns();
    out.add("latency_us", static_cast<double>(now - stamp.read()) / 1e3);
  }
}

// Diagnostic split of the figure above: the callable ends the child itself
// with _exit, skipping the library's exit steps, so what remains over the
// floor is the parent's side of join().
void wake_exit_in_callable(int iterations, results& out) {
  shared_stamp stamp;
  for (int i = 0; i < iterations; ++i) {
    mp::process child([&stamp] {
      std::this_thread::sleep_for(kWakeChildDelay);
      stamp.write_now();
      ::_exit(0);
    });
    child.start();
    child.join();
    const std::uint64_t now = monotonic_ns();
    out.add("latency_us", static_cast<double>(now - stamp.read()) / 1e3);
  }
}

// A child that blocks until the parent closes the pipe it reads.
mp::process make_live_child(int& release_fd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
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

void overshoot(int iterations, results& out) {
  int release_fd = -1;
  mp::process child = make_live_child(release_fd);
  for (int i = 0; i < iterations; ++i) {
    auto t0 = steady::now();
    bool ended = child.join(kOvershootTimeout);
    double elapsed = micros_since(t0);
    if (ended) throw std::runtime_error("child ended early");
    out.add("overshoot_us", elapsed - std::chrono::duration<double, std::micro>(
                                          kOvershootTimeout)
                                          .count());
  }
  ::close(release_fd);
  child.join();
}

void is_alive(int iterations, results& out) {
  int release_fd = -1;
  mp::process child = make_live_child(release_fd);
  for (int i = 0; i < iterations; ++i) {
    int alive = 0;
    auto t0 = steady::now();
    for (int k = 0; k < kIsAliveBatch; ++k) {
      alive += child.is_alive() ? 1 : 0;
    }
    double us = micros_since(t0) / kIsAliveBatch;
    if (alive != kIsAliveBatch) throw std::runtime_error("child ended early");
    out.add("call_us", us);
  }
  ::close(release_fd);
  child.join();
}

void many_children(int iterations, results& out) {
  for (int i = 0; i < iterations; ++i) {
    const std::size_t heap0 = heap_bytes(), rss0 = rss_bytes();
    std::vector<mp::process> children;
    children.reserve(kManyChildren);
    std::vector<double> start_us;
    start_us.reserve(kManyChildren);
    auto t0 = steady::now();
    for (std::size_t k = 0; k < kManyChildren; ++k) {
      auto s0 = steady::now();
      children.emplace_back(
          [] { std::this_thread::sleep_for(kManyChildrenSleep); });
      children.back().start();
      start_us.push_back(micros_since(s0));
    }
    const double heap_delta = static_cast<double>(heap_bytes()) -
                              static_cast<double>(heap0) -
                              static_cast<double>(kManyChildren * 8);
    const double rss_delta =
        static_cast<double>(rss_bytes()) - static_cast<double>(rss0);
    for (mp::process& child : children) child.join();
    record_many_children(out, micros_since(t0) / 1e3, start_us, heap_delta,
                         rss_delta);
  }
}

}  // namespace

void add_multiproc_cases(std::vector<case_def>& cases) {
  cases.push_back({"startjoin/multiproc", start_join});
  cases.push_back({"wake/multiproc", wake});
  cases.push_back({"wake/multiproc_exit_in_callable", wake_exit_in_callable});
  cases.push_back({"overshoot/multiproc", overshoot});
  cases.push_back({"is_alive/multiproc", is_alive});
  cases.push_back({"children2000/multiproc", many_children});
}

}  // namespace bench
