// Must NOT compile: a result (nested in a vector) with no codec.
#include <multiproc/multiproc.hpp>
#include <string>
#include <vector>

namespace {
struct no_codec {
  std::string text;  // not trivially copyable, no codec, no cereal
};
}  // namespace

int main() {
  return static_cast<int>(
      multiproc::call([] { return std::vector<no_codec>(1); }).size());
}
