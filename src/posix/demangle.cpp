#include "posix/demangle.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace multiproc::detail {

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
  return status == 0 && name ? std::string(name.get()) : std::string(mangled);
}

std::string demangle(const std::type_info* type) {
  if (type == nullptr) return "unknown exception";
  return demangle(type->name());
}

std::string current_exception_type_name() {
  return demangle(abi::__cxa_current_exception_type());
}

}  // namespace multiproc::detail
