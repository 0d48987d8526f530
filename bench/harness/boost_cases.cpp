// Boost.Process v2 (header-only): it executes a program, so it is compared
// with posix_spawn of /bin/true as well as with fork.
#include <boost/asio/io_context.hpp>
#include <boost/process/v2.hpp>

#include "common.hpp"

namespace bench {
namespace {

namespace bp = boost::process::v2;

void start_join_true(int iterations, results& out) {
  boost::asio::io_context context;
  for (int i = 0; i < iterations; ++i) {
    auto t0 = steady::now();
    bp::process child(context, "/bin/true", {});
    child.wait();
    out.add("latency_us", micros_since(t0));
  }
}

}  // namespace

void add_boost_cases(std::vector<case_def>& cases) {
  cases.push_back({"startjoin/boost_v2_true", start_join_true});
}

}  // namespace bench
