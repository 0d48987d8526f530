// multiproc/errors.hpp — the exceptions the library throws.
//
// Misuse of the API (calling join() before start(), starting twice, ...)
// throws `usage_error` with the message CPython's multiprocessing uses for the
// same mistake, so that people porting Python code recognise it:
//
//   mp::process p(task);
//   try { p.join(); } catch (const mp::usage_error& e) {
//     std::cerr << e.what();   // "can only join a started process"
//   }
//
// Failures of the operating system (fork refused, out of file descriptors)
// throw `std::system_error` carrying the errno. A timeout is not an error:
// `join(timeout)` returns false.
//
// A future's get() (multiproc/future.hpp) reports how the child ended
// without a value: `remote_error` (it threw a type that cannot come back as
// itself), `process_died` (it crashed, was killed or exited without a
// result), `timeout_error` (its timeout passed and it was killed) and
// `cancelled_error` (cancel() killed it):
//
//   try {
//     auto value = mp::call(risky);
//   } catch (const mp::process_died& e) {
//     std::cerr << e.what();   // "process died with exit code -11 (SIGSEGV)"
//   }
#pragma once

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// Thrown when the API is used in a way it does not allow. The message is
/// CPython's for the same misuse. Never compiled out (unlike Python's
/// `assert`-based checks, which vanish under `python -O`).
/// Python: the AssertionError (most misuse) or ValueError ("process object
/// is closed", "Pool not running", ...) multiprocessing raises.
class usage_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// A child threw an exception that cannot come back as its own type: a
/// type neither standard nor registered (see register_exception() in
/// multiproc/remote_exception.hpp), or one that is not a std::exception.
/// what() is the child's what(), or "exception of type T" when the thrown
/// type has no what().
/// Python: concurrent.futures re-raises the pickled exception itself.
class remote_error : public std::runtime_error {
 public:
  /// Python: no equivalent (made by the library in the parent).
  /// Errors: std::bad_alloc.
  remote_error(const std::string& type_name, const std::string& what)
      : std::runtime_error(what),
        type_name_(std::make_shared<const std::string>(type_name)) {}
  /// The demangled name of the type the child threw, e.g. "my::parse_error"
  /// or "int". Python: type(exc).__qualname__.
  const std::string& type_name() const noexcept { return *type_name_; }

 private:
  // Shared, so that copying the exception cannot throw.
  std::shared_ptr<const std::string> type_name_;
};

/// A child ended without delivering a result: a crash, a signal, _exit(),
/// multiproc::exit(). what() reads "process died with exit code -11
/// (SIGSEGV)" for a signal, "process died with exit code 3" otherwise.
/// Python: concurrent.futures.process.BrokenProcessPool, which fails every
/// pending future of the executor; here only the one whose child died.
class process_died : public std::runtime_error {
 public:
  /// `exitcode` as process::exitcode(): n for exit(n), -N for signal N.
  /// Python: no equivalent (made by the library).
  /// Errors: std::bad_alloc.
  explicit process_died(int exitcode);
  /// With a message of the library's own (a pool whose initializer failed
  /// reports the initializer's error this way: "pool initializer failed:
  /// ..."). Python: no equivalent. Errors: std::bad_alloc.
  process_died(int exitcode, const std::string& what)
      : std::runtime_error(what), exitcode_(exitcode) {}
  /// How the child ended, as process::exitcode(). Python: Process.exitcode.
  int exitcode() const noexcept { return exitcode_; }

 private:
  int exitcode_;
};

/// The timeout given in async_options passed before the child delivered its
/// result. The child has been killed and reaped by the time this is thrown.
/// Also thrown by as_completed() (multiproc/futures_wait.hpp) when its
/// timeout passes, with what() as Python's, "2 (of 5) futures unfinished";
/// that kills nothing.
/// Python: concurrent.futures.TimeoutError (which does not kill anything).
class timeout_error : public std::runtime_error {
 public:
  /// what() reads "process timed out after 0.2s and was killed".
  /// Python: no equivalent (made by the library).
  /// Errors: std::bad_alloc.
  explicit timeout_error(std::chrono::nanoseconds timeout);
  /// With a message of the library's own (as_completed(): "2 (of 5) futures
  /// unfinished"). Python: no equivalent. Errors: std::bad_alloc.
  timeout_error(std::chrono::nanoseconds timeout, const std::string& what)
      : std::runtime_error(what), timeout_(timeout) {}
  /// The timeout that passed. Python: no equivalent.
  std::chrono::nanoseconds timeout() const noexcept { return timeout_; }

 private:
  std::chrono::nanoseconds timeout_;
};

/// The future was cancelled: cancel() killed and reaped its child before it
/// delivered a result. Python: concurrent.futures.CancelledError.
class cancelled_error : public std::runtime_error {
 public:
  /// what() reads "future was cancelled". Python: no equivalent (made by
  /// the library). Errors: std::bad_alloc.
  cancelled_error() : std::runtime_error("future was cancelled") {}
};

/// What broke a barrier (multiproc/synchronize.hpp), in
/// broken_barrier_error::cause(). Python: none (BrokenBarrierError has no
/// cause).
enum class barrier_broken_by {
  timeout,
  abort,
  reset,
  party_died,
  action_failed
};

/// A barrier is broken: wait() threw this for every party waiting when it
/// broke, and throws it at once until reset(). what() says the cause:
/// "barrier broken: wait() timed out" / "...: abort() was called" / "...:
/// reset() was called" / "...: a party ended while waiting" / "...: the
/// action threw". Python: threading.BrokenBarrierError (with no cause).
class broken_barrier_error : public std::runtime_error {
 public:
  /// what() is the message of `cause`. Python: BrokenBarrierError() (made
  /// by the library). Errors: std::bad_alloc.
  explicit broken_barrier_error(barrier_broken_by cause);
  /// What broke the barrier. Python: none.
  barrier_broken_by cause() const noexcept { return cause_; }

 private:
  barrier_broken_by cause_;
};

// ---- Part 4: queues and connections (multiproc/queue.hpp, connection.hpp)

/// Nothing can ever arrive: a get() on an empty queue with no live process
/// counting on its put side ("all producers gone"), after shutdown() once
/// the queue is empty ("queue shut down"), or a recv() with nobody left on
/// the other end ("connection closed by the other end").
/// Python: EOFError.
class eof_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Nothing can ever be taken: a put() that would wait for room with no live
/// process counting on the get side (what() begins "all consumers gone"),
/// after shutdown() ("queue shut down"), or a send() with nobody on the
/// other end ("Broken pipe"). code() is EPIPE. No SIGPIPE is ever raised.
/// Python: BrokenPipeError.
class broken_pipe_error : public std::system_error {
 public:
  /// what() is "Broken pipe".
  /// Python: made by the library, as Python raises it. Errors: std::bad_alloc.
  broken_pipe_error() : std::system_error(EPIPE, std::generic_category()) {}
  /// what() begins with `what`.
  /// Python: made by the library, as Python raises it. Errors: std::bad_alloc.
  explicit broken_pipe_error(const std::string& what)
      : std::system_error(EPIPE, std::generic_category(), what) {}
};

/// recv_bytes_into() was given a buffer too small for the next message;
/// the message is consumed and carried here whole.
/// Python: multiprocessing.BufferTooShort (its args[0] is the message).
class buffer_too_short : public std::runtime_error {
 public:
  /// Python: made by the library, as Python raises it. Errors: std::bad_alloc.
  explicit buffer_too_short(std::vector<std::byte> message)
      : std::runtime_error("buffer too short for a message of " +
                           std::to_string(message.size()) + " bytes"),
        message_(std::make_shared<const std::vector<std::byte>>(
            std::move(message))) {}
  /// The whole message.
  /// Python: args[0]. Errors: none.
  const std::vector<std::byte>& message() const noexcept { return *message_; }

 private:
  // Shared, so that copying the exception cannot throw.
  std::shared_ptr<const std::vector<std::byte>> message_;
};

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
