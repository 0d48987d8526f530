// Small tools the process tests use to talk to their children without
// multiproc's own (future) queues: shared memory, pipes, a way to capture a
// child's stderr, and a guard that ends forgotten children when an assertion
// bails out early.
//
// Everything here is header-only and deliberately plain POSIX, so a failure
// in the library under test cannot hide inside the test's own plumbing.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <initializer_list>
#include <multiproc/multiproc.hpp>
#include <new>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

namespace multiproc::testing {

/// One T in anonymous shared memory: parent and children (made by fork
/// after construction) see the same object. Uses no file descriptor, so it
/// never trips the fd-leak guard. T must be trivially destructible and
/// usable across processes (atomics of lock-free types are).
template <class T>
class shared {
 public:
  shared() {
    void* memory = ::mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) {
      throw std::system_error(errno, std::generic_category(), "mmap");
    }
    value_ = new (memory) T();
  }
  shared(const shared&) = delete;
  shared& operator=(const shared&) = delete;
  ~shared() { ::munmap(value_, sizeof(T)); }

  T& operator*() const { return *value_; }
  T* operator->() const { return value_; }

 private:
  T* value_;
};

/// A pipe whose ends close on destruction (close-on-exec, so helper
/// programs started with exec do not inherit them).
class pipe_pair {
 public:
  pipe_pair() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    read_ = fds[0];
    write_ = fds[1];
  }
  pipe_pair(const pipe_pair&) = delete;
  pipe_pair& operator=(const pipe_pair&) = delete;
  ~pipe_pair() {
    close_read();
    close_write();
  }

  int read_end() const { return read_; }
  int write_end() const { return write_; }
  void close_read() { close_fd(read_); }
  void close_write() { close_fd(write_); }

 private:
  static void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int read_ = -1;
  int write_ = -1;
};

/// Writes all of `text` to `fd` (for children reporting to the parent).
inline void write_all(int fd, const std::string& text) {
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

/// Reads from `fd` until end of file, or until `limit` has passed (then
/// returns what arrived so far).
inline std::string read_all(
    int fd, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  std::string text;
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return text;
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return text;
    char buffer[4096];
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

/// Reads one '\n'-terminated line (without the '\n'), or nothing if none
/// arrives within `limit` or the pipe reaches end of file first.
inline std::optional<std::string> read_line(
    int fd, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char c;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    if (c == '\n') return line;
    line += c;
  }
}

/// Blocks (in a child) until `release` reaches end of file or `limit` has
/// passed. The parent releases by closing its write end; a parent that dies
/// releases too, so a forgotten blocker never outlives its test for long.
inline void block_until_released(
    int release, std::chrono::milliseconds limit = std::chrono::seconds(100)) {
  (void)read_all(release, limit);
}

/// Ends, on scope exit, every listed child that is still running (SIGKILL)
/// and joins it: an ASSERT that returns early must not leave a sleeper for
/// the program's exit-time join to wait on.
class kill_on_exit {
 public:
  kill_on_exit(std::initializer_list<process> children) : children_(children) {}
  explicit kill_on_exit(std::vector<process> children)
      : children_(std::move(children)) {}
  kill_on_exit(const kill_on_exit&) = delete;
  kill_on_exit& operator=(const kill_on_exit&) = delete;
  ~kill_on_exit() {
    for (process& child : children_) {
      try {
        if (child.pid() && child.is_alive()) child.kill();
        if (child.pid()) child.join();
      } catch (...) {
        // Closed or never started: nothing to end.
      }
    }
  }

 private:
  std::vector<process> children_;
};

/// Redirects this process's stderr (fd 2) into `fd`. For use inside a
/// child, so the parent can read what the child wrote.
inline void redirect_stderr_to(int fd) {
  std::fflush(stderr);
  ::dup2(fd, STDERR_FILENO);
}

}  // namespace multiproc::testing

namespace multiproc::testing {

/// What a child wrote to its report pipe, and how it ended.
struct child_report {
  std::string text;
  std::optional<int> exitcode;
};

/// Runs `fn` (returning std::string) in a child and returns what it
/// returned together with the child's exit code. The child's grandchildren
/// must not outlive `fn`, or they would hold the report pipe open.
template <class F>
child_report run_in_child(F fn) {
  pipe_pair out;
  process child([&] {
    out.close_read();
    write_all(out.write_end(), fn());
  });
  child.start();
  out.close_write();
  child_report report;
  report.text = read_all(out.read_end());
  child.join();
  report.exitcode = child.exitcode();
  return report;
}

/// True when `list` holds a handle to the same child as `p`.
inline bool contains(const std::vector<process>& list, const process& p) {
  for (const process& item : list) {
    if (item.state() == p.state()) return true;
  }
  return false;
}

}  // namespace multiproc::testing

namespace multiproc::testing {

// process_options builders: designated initializers that skip members trip
// -Wmissing-field-initializers under -Wextra -Werror.
inline process_options named(std::string name) {
  process_options options;
  options.name = std::move(name);
  return options;
}
inline process_options daemonic(bool daemon, std::string name = "") {
  process_options options;
  options.name = std::move(name);
  options.daemon = daemon;
  return options;
}
inline process_options killed_with_parent() {
  process_options options;
  options.kill_on_parent_death = true;
  return options;
}
inline pool_options with_processes(unsigned processes) {
  pool_options options;
  options.processes = processes;
  return options;
}

// The error `fn` threw as std::system_error; empty when it did not throw.
template <class F>
std::error_code thrown_by(F fn) {
  try {
    fn();
  } catch (const std::system_error& e) {
    return e.code();
  }
  return {};
}

/// `count` fds on /dev/null without FD_CLOEXEC, as a careless program
/// leaves them, closed again when this goes away. A child started by exec
/// must inherit none of them. size() says how many the OS granted.
class leaked_fds {
 public:
  explicit leaked_fds(int count) {
    for (int i = 0; i < count; ++i) {
      const int fd = ::open("/dev/null", O_RDONLY);
      if (fd < 0) break;
      fds_.push_back(fd);
    }
  }
  ~leaked_fds() {
    for (int fd : fds_) ::close(fd);
  }
  leaked_fds(const leaked_fds&) = delete;
  leaked_fds& operator=(const leaked_fds&) = delete;
  std::size_t size() const { return fds_.size(); }

 private:
  std::vector<int> fds_;
};

}  // namespace multiproc::testing
