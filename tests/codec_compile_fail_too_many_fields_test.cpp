// Must NOT compile: an aggregate with more fields than multiproc takes
// apart by itself; the message points at MULTIPROC_CODEC_FIELDS.
#include <multiproc/multiproc.hpp>
#include <string>

namespace {
struct wide {
  std::string f1, f2, f3, f4, f5, f6, f7, f8, f9, f10, f11, f12, f13;
  std::string f14, f15, f16, f17, f18, f19, f20, f21, f22, f23, f24, f25;
};
}  // namespace

int main() {
  return static_cast<int>(multiproc::call([] { return wide{}; }).f1.size());
}
