// multiproc/remote_exception.hpp — exceptions that travel from a child to
// its parent.
//
// When the function a child runs for a future throws, get() in the parent
// throws the same exception:
//
// - The standard families come back as their own type with the same
//   what(): std::logic_error, std::invalid_argument, std::domain_error,
//   std::length_error, std::out_of_range, std::future_error (with its code),
//   std::runtime_error, std::range_error, std::overflow_error,
//   std::underflow_error, std::system_error and std::ios_base::failure
//   (with their code, when its category is generic, system, iostream or
//   future), std::bad_alloc and std::bad_array_new_length.
// - Another standard type comes back as the nearest of those it derives
//   from, with the same what() (std::filesystem::filesystem_error as
//   std::system_error, std::regex_error as std::runtime_error).
// - A type you registered comes back as itself.
// - Anything else comes back as multiproc::remote_error, with the thrown
//   type's demangled name in type_name() and its what(). Thrown text keeps
//   its text: `throw std::string("bad input")` and `throw "bad input"` give
//   what() == "bad input" and type_name() "std::string" / "const char*".
//
//   struct parse_error : std::runtime_error {
//     using std::runtime_error::runtime_error;   // rebuilt from what()
//   };
//   mp::register_exception<parse_error>();     // anywhere in the program
//
//   try { mp::call(parse, text); } catch (const parse_error& e) { ... }
//
// The registration rule: registration is part of the program, not of its
// history. Every type named in a register_exception<E>() call anywhere in
// the program is registered while the program starts (static
// initialization, before main), in the parent and therefore in every child
// and pool worker forked from it, whenever it was forked. So a type comes
// back as itself whether the call ran before or after a pool was built,
// whether the task ran on an initial worker or on a replacement, and even if
// the call is only in the child's code. (A worker forked before the call
// used to know nothing of it and sent remote_error, while its replacements
// sent the real type.) The runtime call itself only makes sure of the entry;
// calling it again is harmless. A type in a shared library is registered
// when the library is loaded; a worker forked before that cannot throw it.
#pragma once

#include <exception>
#include <string>
#include <type_traits>
#include <typeinfo>

#include "multiproc/codec.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

namespace detail {

/// How a registered type is encoded in the child and thrown in the parent.
struct registered_exception {
  const std::type_info* type;
  /// Called in a catch block: encodes the exception being handled and
  /// returns true if it is an E (or derives from E), else returns false.
  bool (*encode)(encoder& out);
  /// Throws the E that `encode` wrote.
  void (*rethrow)(decoder& in);
};

/// Adds an entry. Thread safety: any thread; lock-free for readers, so a
/// forked child can read the table whatever the parent's threads did.
void add_registered_exception(const registered_exception& entry);

/// Child side, in a catch block: encodes the exception being handled
/// (standard, registered or remote) into `out`.
void encode_current_exception(encoder& out);

/// Parent side: throws the exception encode_current_exception() wrote.
[[noreturn]] void throw_encoded_exception(decoder& in);

template <class E>
inline constexpr bool rebuilt_from_what =
    !has_user_codec<E> && std::is_base_of_v<std::exception, E> &&
    std::is_constructible_v<E, std::string>;

template <class E>
bool encode_registered(encoder& out) {
  try {
    throw;
  } catch (const E& error) {
    if constexpr (rebuilt_from_what<E>) {
      out.write(std::string(error.what()));
    } else {
      out.write(error);
    }
    return true;
  } catch (...) {
    return false;
  }
}

template <class E>
[[noreturn]] void rethrow_registered(decoder& in) {
  if constexpr (rebuilt_from_what<E>) {
    throw E(in.read<std::string>());
  } else {
    throw in.read<E>();
  }
}

template <class E>
void add_registration() {
  add_registered_exception(
      {&typeid(E), &encode_registered<E>, &rethrow_registered<E>});
}

/// Registers E during static initialization, in every program that names
/// register_exception<E>() anywhere (see the registration rule above).
template <class E>
inline const bool static_registration = (add_registration<E>(), true);

}  // namespace detail

/// Makes exceptions of type E (and of types derived from it that are not
/// registered themselves) come back from children as E.
///
/// E is rebuilt from its what() when it derives from std::exception and is
/// constructible from a std::string, unless it has a codec specialization;
/// otherwise E itself travels through multiproc::codec (a trivially
/// copyable error struct, a type with a codec or a cereal serialize()).
///
/// When the call runs does not matter: E is registered at program start in
/// every process (the registration rule at the top of this file), so
/// children and pool workers forked before the call know E too.
/// Registering a type twice is harmless.
/// Python: no equivalent: pickle carries any exception class by its
/// qualified name (copyreg.pickle for one that does not pickle as is).
/// Errors: std::bad_alloc (when the startup registration could not make
/// the entry). A type that can be neither rebuilt nor transferred fails to
/// compile, saying so.
/// Thread safety: any thread.
template <class E>
void register_exception() {
  static_assert(
      detail::rebuilt_from_what<E> || transferable<E>,
      "multiproc::register_exception<E>: E must derive from std::exception "
      "and be constructible from a std::string (it is rebuilt from what()), "
      "or be transferable through multiproc::codec (specialize "
      "multiproc::codec<E>, see multiproc/codec.hpp).");
  // Reading the variable instantiates it, and its initializer runs at
  // startup: that is what makes the registration history-independent.
  static_cast<void>(detail::static_registration<E>);
  detail::add_registration<E>();
}

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
