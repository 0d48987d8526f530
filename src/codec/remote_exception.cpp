// Exceptions across the fork: classification in the child, reconstruction
// in the parent, and the table of user-registered types.
#include "multiproc/remote_exception.hpp"

#include <cxxabi.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <future>
#include <ios>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <system_error>
#include <typeinfo>

#include "multiproc/errors.hpp"
#include "posix/demangle.hpp"

namespace multiproc::inline v0::detail {
namespace {

// --- The table of registered types ---------------------------------------
//
// A lock-free list that only grows: a child forked while another thread of
// the parent was registering must still be able to read it, and a mutex
// held at fork time would stay locked in the child forever.
struct registered_node {
  registered_exception entry;
  std::string key;  // the mangled type name, the same in parent and child
  registered_node* next;
};

std::atomic<registered_node*> g_registered{nullptr};

const registered_node* find_registered_exact(const std::type_info& type) {
  for (auto* node = g_registered.load(std::memory_order_acquire);
       node != nullptr; node = node->next) {
    if (*node->entry.type == type) return node;
  }
  return nullptr;
}

const registered_node* find_registered_key(const std::string& key) {
  for (auto* node = g_registered.load(std::memory_order_acquire);
       node != nullptr; node = node->next) {
    if (node->key == key) return node;
  }
  return nullptr;
}

// --- The wire format -------------------------------------------------------

enum class form : std::uint8_t { standard = 0, registered = 1, remote = 2 };

enum class standard_kind : std::uint8_t {
  none = 0,
  logic_error,
  invalid_argument,
  domain_error,
  length_error,
  out_of_range,
  future_error,
  runtime_error,
  range_error,
  overflow_error,
  underflow_error,
  system_error,
  ios_failure,
  bad_alloc,
  bad_array_new_length,
};

// The standard error categories that exist in every process, so a code in
// one of them means the same in the parent.
enum class category_id : std::uint8_t {
  generic = 0,
  system,
  iostream,
  future,
  other,
};

category_id identify(const std::error_category& category) {
  if (category == std::generic_category()) return category_id::generic;
  if (category == std::system_category()) return category_id::system;
  if (category == std::iostream_category()) return category_id::iostream;
  if (category == std::future_category()) return category_id::future;
  return category_id::other;
}

const std::error_category& category_of(category_id id) {
  switch (id) {
    case category_id::system:
      return std::system_category();
    case category_id::iostream:
      return std::iostream_category();
    case category_id::future:
      return std::future_category();
    default:
      return std::generic_category();
  }
}

standard_kind exact_standard_kind(const std::type_info& type) {
  struct row {
    const std::type_info& type;
    standard_kind kind;
  };
  static const row table[] = {
      {typeid(std::logic_error), standard_kind::logic_error},
      {typeid(std::invalid_argument), standard_kind::invalid_argument},
      {typeid(std::domain_error), standard_kind::domain_error},
      {typeid(std::length_error), standard_kind::length_error},
      {typeid(std::out_of_range), standard_kind::out_of_range},
      {typeid(std::future_error), standard_kind::future_error},
      {typeid(std::runtime_error), standard_kind::runtime_error},
      {typeid(std::range_error), standard_kind::range_error},
      {typeid(std::overflow_error), standard_kind::overflow_error},
      {typeid(std::underflow_error), standard_kind::underflow_error},
      {typeid(std::system_error), standard_kind::system_error},
      {typeid(std::ios_base::failure), standard_kind::ios_failure},
      {typeid(std::bad_alloc), standard_kind::bad_alloc},
      {typeid(std::bad_array_new_length), standard_kind::bad_array_new_length},
  };
  for (const row& r : table) {
    if (r.type == type) return r.kind;
  }
  return standard_kind::none;
}

// The nearest listed standard base of the exception being handled. Most
// derived first.
standard_kind nearest_standard_kind() {
  try {
    throw;
  } catch (const std::future_error&) {
    return standard_kind::future_error;
  } catch (const std::invalid_argument&) {
    return standard_kind::invalid_argument;
  } catch (const std::domain_error&) {
    return standard_kind::domain_error;
  } catch (const std::length_error&) {
    return standard_kind::length_error;
  } catch (const std::out_of_range&) {
    return standard_kind::out_of_range;
  } catch (const std::logic_error&) {
    return standard_kind::logic_error;
  } catch (const std::ios_base::failure&) {
    return standard_kind::ios_failure;
  } catch (const std::system_error&) {
    return standard_kind::system_error;
  } catch (const std::range_error&) {
    return standard_kind::range_error;
  } catch (const std::overflow_error&) {
    return standard_kind::overflow_error;
  } catch (const std::underflow_error&) {
    return standard_kind::underflow_error;
  } catch (const std::runtime_error&) {
    return standard_kind::runtime_error;
  } catch (const std::bad_array_new_length&) {
    return standard_kind::bad_array_new_length;
  } catch (const std::bad_alloc&) {
    return standard_kind::bad_alloc;
  } catch (...) {
    return standard_kind::none;
  }
}

bool is_library_type(const std::string& name) {
  return name.starts_with("std::") || name.starts_with("__gnu_cxx::") ||
         name.starts_with("__cxxabiv1::");
}

void write_u8(encoder& out, std::uint8_t value) { out.write_bytes(&value, 1); }

std::uint8_t read_u8(decoder& in) {
  std::uint8_t value = 0;
  in.read_bytes(&value, 1);
  return value;
}

template <class E>
std::uint8_t to_u8(E value) {
  return static_cast<std::uint8_t>(value);
}

void encode_standard(encoder& out, standard_kind kind) {
  std::string what;
  std::int32_t code = 0;
  category_id category = category_id::generic;
  try {
    throw;
  } catch (const std::system_error& error) {
    what = error.what();
    code = error.code().value();
    category = identify(error.code().category());
  } catch (const std::future_error& error) {
    what = error.what();
    code = error.code().value();
  } catch (const std::exception& error) {
    what = error.what();
  }
  // A code in a category of the program's own cannot be rebuilt in the
  // parent: the nearest base that can is std::runtime_error.
  if ((kind == standard_kind::system_error ||
       kind == standard_kind::ios_failure) &&
      category == category_id::other) {
    kind = standard_kind::runtime_error;
  }
  write_u8(out, to_u8(form::standard));
  write_u8(out, to_u8(kind));
  out.write(what);
  out.write(code);
  write_u8(out, to_u8(category));
}

// A standard type whose what() the standard constructors cannot reproduce
// (a subclass that overrode what(), say) is thrown as this subclass, so
// that it is still caught as Base and says the same thing.
template <class Base>
class with_what final : public Base {
 public:
  template <class... Args>
  explicit with_what(std::string what, Args&&... args)
      : Base(std::forward<Args>(args)...),
        what_(std::make_shared<const std::string>(std::move(what))) {}
  const char* what() const noexcept override { return what_->c_str(); }

 private:
  std::shared_ptr<const std::string> what_;
};

[[noreturn]] void throw_system_error(standard_kind kind,
                                     const std::string& what,
                                     std::error_code code) {
  // std::system_error(code, prefix) says "prefix: message", and
  // std::system_error(code) says "message": rebuild whichever it was.
  const std::string message = code.message();
  const std::string suffix = ": " + message;
  const bool plain = what == message;
  const bool prefixed = what.size() > suffix.size() && what.ends_with(suffix);
  const std::string prefix =
      prefixed ? what.substr(0, what.size() - suffix.size()) : std::string();
  if (kind == standard_kind::ios_failure) {
    if (prefixed) throw std::ios_base::failure(prefix, code);
    throw with_what<std::ios_base::failure>(what, what, code);
  }
  if (plain) throw std::system_error(code);
  if (prefixed) throw std::system_error(code, prefix);
  throw with_what<std::system_error>(what, code);
}

[[noreturn]] void throw_standard(decoder& in) {
  const auto kind = static_cast<standard_kind>(read_u8(in));
  const auto what = in.read<std::string>();
  const auto code = in.read<std::int32_t>();
  const auto category = static_cast<category_id>(read_u8(in));
  switch (kind) {
    case standard_kind::logic_error:
      throw std::logic_error(what);
    case standard_kind::invalid_argument:
      throw std::invalid_argument(what);
    case standard_kind::domain_error:
      throw std::domain_error(what);
    case standard_kind::length_error:
      throw std::length_error(what);
    case standard_kind::out_of_range:
      throw std::out_of_range(what);
    case standard_kind::future_error:
      throw std::future_error(static_cast<std::future_errc>(code));
    case standard_kind::runtime_error:
      throw std::runtime_error(what);
    case standard_kind::range_error:
      throw std::range_error(what);
    case standard_kind::overflow_error:
      throw std::overflow_error(what);
    case standard_kind::underflow_error:
      throw std::underflow_error(what);
    case standard_kind::system_error:
    case standard_kind::ios_failure:
      throw_system_error(kind, what,
                         std::error_code(code, category_of(category)));
    case standard_kind::bad_alloc:
      throw std::bad_alloc();
    case standard_kind::bad_array_new_length:
      throw std::bad_array_new_length();
    case standard_kind::none:
      break;
  }
  throw codec_error("multiproc: unknown standard exception kind");
}

// The name remote_error::type_name() gives a thrown type. The two kinds of
// text people throw get the names they wrote, not
// "std::__cxx11::basic_string<char, ...>" and "char const*".
std::string remote_type_name(const std::type_info* type) {
  if (type == nullptr) return demangle(type);
  if (*type == typeid(std::string)) return "std::string";
  if (*type == typeid(const char*)) return "const char*";
  return demangle(type);
}

void encode_remote(encoder& out, const std::type_info* type) {
  std::string what;
  bool has_what = false;
  try {
    throw;
  } catch (const std::exception& error) {
    what = error.what();
    has_what = true;
  } catch (const std::string& text) {
    // throw std::string("bad input"): the text is the message.
    what = text;
    has_what = true;
  } catch (const char* text) {
    // throw "bad input" (a const char*; a char* is caught here too).
    if (text != nullptr) {
      what = text;
      has_what = true;
    }
  } catch (...) {
  }
  write_u8(out, to_u8(form::remote));
  out.write(remote_type_name(type));
  out.write(has_what);
  out.write(what);
}

}  // namespace

void add_registered_exception(const registered_exception& entry) {
  if (find_registered_exact(*entry.type) != nullptr) return;
  // Never freed: a child may be reading the list at any time.
  auto* node = new registered_node{entry, entry.type->name(), nullptr};
  node->next = g_registered.load(std::memory_order_relaxed);
  while (!g_registered.compare_exchange_weak(
      node->next, node, std::memory_order_release, std::memory_order_relaxed)) {
  }
}

void encode_current_exception(encoder& out) {
  const std::type_info* type = abi::__cxa_current_exception_type();
  if (type != nullptr) {
    // 1. A registered type, exactly.
    if (const registered_node* node = find_registered_exact(*type)) {
      write_u8(out, to_u8(form::registered));
      out.write(node->key);
      if (node->entry.encode(out)) return;
      throw codec_error("multiproc: registered exception failed to encode");
    }
    // 2. A listed standard type, exactly.
    if (standard_kind kind = exact_standard_kind(*type);
        kind != standard_kind::none) {
      encode_standard(out, kind);
      return;
    }
    // 3. A type derived from a registered one.
    for (auto* node = g_registered.load(std::memory_order_acquire);
         node != nullptr; node = node->next) {
      encoder trial;
      if (node->entry.encode(trial)) {
        write_u8(out, to_u8(form::registered));
        out.write(node->key);
        std::span<const std::byte> bytes = trial.buffered();
        out.write_bytes(bytes.data(), bytes.size());
        return;
      }
    }
    // 4. Another standard type: its nearest listed base.
    if (is_library_type(demangle(type))) {
      if (standard_kind kind = nearest_standard_kind();
          kind != standard_kind::none) {
        encode_standard(out, kind);
        return;
      }
    }
  }
  // 5. Anything else.
  encode_remote(out, type);
}

void throw_encoded_exception(decoder& in) {
  switch (static_cast<form>(read_u8(in))) {
    case form::standard:
      throw_standard(in);
    case form::registered: {
      const auto key = in.read<std::string>();
      if (const registered_node* node = find_registered_key(key)) {
        node->entry.rethrow(in);
      }
      // Registered in the child only (after the fork, in the child's own
      // code): the parent cannot rebuild it.
      const std::string name = demangle(key.c_str());
      throw remote_error(name, "exception of type " + name);
    }
    case form::remote: {
      const auto type_name = in.read<std::string>();
      const auto has_what = in.read<bool>();
      const auto what = in.read<std::string>();
      throw remote_error(type_name,
                         has_what ? what : "exception of type " + type_name);
    }
  }
  throw codec_error("multiproc: malformed exception record");
}

}  // namespace multiproc::inline v0::detail
