// Must NOT compile: a result (nested in a vector) of a class with private
// state and no codec, no description, no cereal.
#include <multiproc/multiproc.hpp>
#include <string>
#include <vector>

namespace {
class no_codec {
 public:
  no_codec() = default;
  const std::string& text() const { return text_; }

 private:
  std::string text_;  // private: neither an aggregate nor described
};
}  // namespace

int main() {
  return static_cast<int>(
      multiproc::call([] { return std::vector<no_codec>(1); }).size());
}
