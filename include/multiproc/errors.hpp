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
#pragma once

#include <stdexcept>

namespace multiproc {

/// Thrown when the API is used in a way it does not allow. The message is
/// CPython's for the same misuse. Never compiled out (unlike Python's
/// `assert`-based checks, which vanish under `python -O`).
class usage_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace multiproc
