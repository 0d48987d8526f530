#include "std_streams.hpp"

#include <stdio_ext.h>

#include <atomic>
#include <cstdio>
#include <ext/stdio_sync_filebuf.h>
#include <iostream>

namespace multiproc::inline v0::detail {

namespace {

// With sync_with_stdio(true), the default, an iostream has no buffer of its
// own: it writes straight into stdio, and flushing stdio is enough. The
// answer is remembered per buffer, so a child (which inherits the memo)
// compares a pointer instead of running a dynamic_cast over cold pages.
bool writes_through_stdio(const std::ostream& stream,
                          std::atomic<const std::streambuf*>& known_sync) {
  const std::streambuf* buffer = stream.rdbuf();
  if (buffer == nullptr) return true;  // nothing to flush
  if (buffer == known_sync.load(std::memory_order_relaxed)) return true;
  if (dynamic_cast<const __gnu_cxx::stdio_sync_filebuf<char>*>(buffer) ==
      nullptr) {
    return false;
  }
  known_sync.store(buffer, std::memory_order_relaxed);
  return true;
}

void flush_if_buffered(std::ostream& stream,
                       std::atomic<const std::streambuf*>& known_sync) {
  if (!writes_through_stdio(stream, known_sync)) stream.flush();
}

std::atomic<const std::streambuf*> g_cout_sync{nullptr};
std::atomic<const std::streambuf*> g_cerr_sync{nullptr};
std::atomic<const std::streambuf*> g_clog_sync{nullptr};

// Flushing a FILE with nothing in it still writes to its lock and state:
// in a fresh child that costs a copy-on-write fault of libc's data page,
// on the critical path of every start+join. So only flush what holds data.
void flush_if_pending(FILE* file) {
  if (__fpending(file) != 0) std::fflush(file);
}

}  // namespace

void flush_standard_streams() noexcept {
  try {
    flush_if_buffered(std::cout, g_cout_sync);
    flush_if_buffered(std::cerr, g_cerr_sync);
    flush_if_buffered(std::clog, g_clog_sync);
  } catch (...) {
    // A stream the user set to throw on failure: nothing more to do.
  }
  flush_if_pending(stdout);
  flush_if_pending(stderr);
}

}  // namespace multiproc::inline v0::detail
