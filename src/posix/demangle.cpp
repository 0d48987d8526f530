#include "posix/demangle.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <string_view>

namespace multiproc::inline v0::detail {

std::string demangle(const char* mangled) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name(
      abi::__cxa_demangle(mangled, nullptr, nullptr, &status), &std::free);
  if (status != 0 || !name) return std::string(mangled);
  // The library's inline ABI namespace is part of the mangled name but not
  // of any name a user writes or compares (type_name() is
  // "multiproc::usage_error", as declared): leave it out.
  std::string text(name.get());
  constexpr std::string_view kAbi = "multiproc::v0::";
  for (auto at = text.find(kAbi); at != std::string::npos;
       at = text.find(kAbi, at)) {
    text.erase(at + std::string_view("multiproc::").size(),
               kAbi.size() - std::string_view("multiproc::").size());
  }
  return text;
}

std::string demangle(const std::type_info* type) {
  if (type == nullptr) return "unknown exception";
  return demangle(type->name());
}

std::string current_exception_type_name() {
  return demangle(abi::__cxa_current_exception_type());
}

}  // namespace multiproc::inline v0::detail
