// Must NOT compile: an aggregate result with a reference member.
#include <multiproc/multiproc.hpp>
#include <string>

namespace {
struct with_reference {
  std::string name;
  const std::string& alias;
};
}  // namespace

int main() {
  static const std::string text = "x";
  return static_cast<int>(multiproc::call([] {
                            return with_reference{"x", text};
                          }).name.size());
}
