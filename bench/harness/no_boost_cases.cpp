// Built instead of boost_cases.cpp when Boost.Process v2 is not installed.
#include "common.hpp"

namespace bench {

void add_boost_cases(std::vector<case_def>&) {}

}  // namespace bench
