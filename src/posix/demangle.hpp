// Readable names of C++ types (the Itanium C++ ABI's demangler): for
// process names taken from a subclass, exception reports and exception
// transport.
#pragma once

#include <string>
#include <typeinfo>

namespace multiproc::inline v0::detail {

/// The demangled form of a mangled name, or the name itself when it does
/// not demangle. Errors: std::bad_alloc.
std::string demangle(const char* mangled);

/// The demangled name of `type`; "unknown exception" for null (what
/// __cxa_current_exception_type() gives outside a catch block).
std::string demangle(const std::type_info* type);

/// Inside a catch block: the demangled type of the exception being handled.
std::string current_exception_type_name();

}  // namespace multiproc::inline v0::detail
