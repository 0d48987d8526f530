// The library's own codec: which category a type falls in, whether it can
// be transferred (recursively), the compile-time errors that say what to do
// when it cannot, and the encoding of each category.
//
// Included by multiproc/codec.hpp after encoder, decoder and the codec
// declaration; not meant to be included on its own.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "multiproc/detail/codec_fields.hpp"
#include "multiproc/detail/sync_handle_traits.hpp"

// cereal (header-only, optional): types it can serialize travel through its
// binary archive. Define MULTIPROC_NO_CEREAL (CMake: -DMULTIPROC_CEREAL=OFF)
// to leave it out even when it is installed.
#if !defined(MULTIPROC_NO_CEREAL) && defined(__has_include)
#if __has_include(<cereal/archives/binary.hpp>)
#include <cereal/archives/binary.hpp>
#include <istream>
#include <ostream>
#include <streambuf>
#define MULTIPROC_HAS_CEREAL 1
#endif
#endif

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

template <class T>
inline constexpr bool dependent_false = false;

// --- Recognizing the standard types the codec knows ------------------------

template <class T, template <class...> class Template>
inline constexpr bool is_specialization_of = false;
template <template <class...> class Template, class... Args>
inline constexpr bool is_specialization_of<Template<Args...>, Template> = true;

template <class T>
inline constexpr bool is_std_array = false;
template <class T, std::size_t N>
inline constexpr bool is_std_array<std::array<T, N>> = true;

template <class T>
inline constexpr bool is_std_span = false;
template <class T, std::size_t N>
inline constexpr bool is_std_span<std::span<T, N>> = true;

template <class T>
inline constexpr bool is_basic_string =
    is_specialization_of<T, std::basic_string>;

template <class T>
inline constexpr bool is_vector_bool = false;
template <class Alloc>
inline constexpr bool is_vector_bool<std::vector<bool, Alloc>> = true;

template <class T>
inline constexpr bool is_sequence =
    is_specialization_of<T, std::vector> ||
    is_specialization_of<T, std::deque> || is_specialization_of<T, std::list>;

template <class T>
inline constexpr bool is_map_like =
    is_specialization_of<T, std::map> ||
    is_specialization_of<T, std::multimap> ||
    is_specialization_of<T, std::unordered_map> ||
    is_specialization_of<T, std::unordered_multimap>;

template <class T>
inline constexpr bool is_set_like =
    is_specialization_of<T, std::set> ||
    is_specialization_of<T, std::multiset> ||
    is_specialization_of<T, std::unordered_set> ||
    is_specialization_of<T, std::unordered_multiset>;

// Types whose value is an address (or refers to memory by address): copying
// their bytes to another process would produce a dangling reference.
template <class T>
inline constexpr bool is_pointer_like =
    std::is_pointer_v<T> || std::is_member_pointer_v<T> ||
    is_specialization_of<T, std::basic_string_view> || is_std_span<T> ||
    is_specialization_of<T, std::reference_wrapper> ||
    is_specialization_of<T, std::unique_ptr> ||
    is_specialization_of<T, std::shared_ptr> ||
    is_specialization_of<T, std::weak_ptr>;

template <class T>
concept has_user_codec = !requires {
  typename codec<T>::multiproc_builtin_codec;
};

#if defined(MULTIPROC_HAS_CEREAL)
template <class T>
inline constexpr bool is_cereal_serializable =
    std::is_default_constructible_v<T>&& cereal::traits::is_output_serializable<
        T, cereal::BinaryOutputArchive>::value&& cereal::traits::
        is_input_serializable<T, cereal::BinaryInputArchive>::value;
#else
template <class T>
inline constexpr bool is_cereal_serializable = false;
#endif

enum class codec_kind {
  user,          // a codec<T> specialization
  pointer_like,  // refused: an address
  bitwise,       // raw bytes: arithmetic, enum, trivially copyable class
  vector_bool,
  string,
  sequence,
  array,
  optional,
  pair,
  tuple,
  variant,
  map,
  set,
  cereal,
  described,  // MULTIPROC_CODEC_FIELDS: the listed members, in order
  aggregate,  // an undescribed aggregate: its members by structured binding
  none,       // refused: nothing knows how to transfer it
};

// kind_of returns two kinds from two branches each (none, bitwise), which
// bugprone-branch-clone reports; the branches must stay apart, since their
// order is the priority described below.
// NOLINTBEGIN(bugprone-branch-clone)
/// Which codec serves T. The order matters: a user specialization wins over
/// everything; standard types are handled element by element even when
/// they are trivially copyable (std::optional<int*> must be refused). For
/// a class of the user's the explicit ways come first, most specific first:
/// codec<T>, then a MULTIPROC_CODEC_FIELDS description (written for
/// multiproc), then cereal (a general-purpose serializer the type may carry
/// for other reasons); then the inferred ones: raw bytes for a trivially
/// copyable type (the fast path, unchanged), and last an aggregate taken
/// apart member by member.
template <class T>
consteval codec_kind kind_of() {
  if constexpr (std::is_reference_v<T> || std::is_void_v<T> ||
                std::is_function_v<T>) {
    return codec_kind::none;
  } else if constexpr (has_user_codec<T>) {
    return codec_kind::user;
  } else if constexpr (is_pointer_like<T>) {
    return codec_kind::pointer_like;
  } else if constexpr (is_vector_bool<T>) {
    return codec_kind::vector_bool;
  } else if constexpr (is_basic_string<T>) {
    return codec_kind::string;
  } else if constexpr (is_sequence<T>) {
    return codec_kind::sequence;
  } else if constexpr (is_std_array<T>) {
    return codec_kind::array;
  } else if constexpr (is_specialization_of<T, std::optional>) {
    return codec_kind::optional;
  } else if constexpr (is_specialization_of<T, std::pair>) {
    return codec_kind::pair;
  } else if constexpr (is_specialization_of<T, std::tuple>) {
    return codec_kind::tuple;
  } else if constexpr (is_specialization_of<T, std::variant>) {
    return codec_kind::variant;
  } else if constexpr (is_map_like<T>) {
    return codec_kind::map;
  } else if constexpr (is_set_like<T>) {
    return codec_kind::set;
  } else if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>) {
    return codec_kind::bitwise;
  } else if constexpr (std::is_class_v<T> && has_described_fields<T>) {
    return codec_kind::described;
  } else if constexpr ((std::is_class_v<T> ||
                        std::is_union_v<T>)&&is_cereal_serializable<T>) {
    return codec_kind::cereal;
  } else if constexpr ((std::is_class_v<T> ||
                        std::is_union_v<T>)&&std::is_trivially_copyable_v<T>) {
    return codec_kind::bitwise;
  } else if constexpr (std::is_class_v<T> && std::is_aggregate_v<T>) {
    return codec_kind::aggregate;
  } else {
    return codec_kind::none;
  }
}
// NOLINTEND(bugprone-branch-clone)

template <class T>
consteval bool is_transferable();

template <class Tuple, std::size_t... I>
consteval bool all_elements_transferable(std::index_sequence<I...>) {
  return (is_transferable<std::tuple_element_t<I, Tuple>>() && ...);
}

template <class Variant, std::size_t... I>
consteval bool all_alternatives_transferable(std::index_sequence<I...>) {
  return (is_transferable<std::variant_alternative_t<I, Variant>>() && ...);
}

template <class... Members>
consteval bool all_members_transferable(field_types<Members...>) {
  return ((!std::is_reference_v<Members> && is_transferable<Members>()) && ...);
}

template <class T>
consteval bool is_transferable() {
  using U = std::remove_cv_t<T>;
  constexpr codec_kind kind = kind_of<U>();
  // A described type is taken at its word (its members are checked when
  // its codec is instantiated), so that it may contain itself
  // (struct node { std::vector<node> children; }).
  if constexpr (kind == codec_kind::user || kind == codec_kind::bitwise ||
                kind == codec_kind::vector_bool || kind == codec_kind::string ||
                kind == codec_kind::cereal || kind == codec_kind::described) {
    return true;
  } else if constexpr (kind == codec_kind::aggregate) {
    if constexpr (shape_of_aggregate<U>() == aggregate_shape::ok) {
      return all_members_transferable(aggregate_fields_t<U>{});
    } else {
      return false;
    }
  } else if constexpr (kind == codec_kind::sequence ||
                       kind == codec_kind::array ||
                       kind == codec_kind::optional) {
    return is_transferable<typename U::value_type>();
  } else if constexpr (kind == codec_kind::pair) {
    return is_transferable<typename U::first_type>() &&
           is_transferable<typename U::second_type>();
  } else if constexpr (kind == codec_kind::tuple) {
    return all_elements_transferable<U>(
        std::make_index_sequence<std::tuple_size_v<U>>());
  } else if constexpr (kind == codec_kind::variant) {
    return all_alternatives_transferable<U>(
        std::make_index_sequence<std::variant_size_v<U>>());
  } else if constexpr (kind == codec_kind::map) {
    return is_transferable<typename U::key_type>() &&
           is_transferable<typename U::mapped_type>();
  } else if constexpr (kind == codec_kind::set) {
    return is_transferable<typename U::key_type>();
  } else {
    return false;
  }
}

/// Fails to compile, naming the offending (possibly nested) type in the
/// "required from" notes, when T cannot be transferred.
template <class T>
constexpr void require_transferable();

template <class Tuple, std::size_t... I>
constexpr void require_elements(std::index_sequence<I...>) {
  (require_transferable<std::tuple_element_t<I, Tuple>>(), ...);
}

template <class Variant, std::size_t... I>
constexpr void require_alternatives(std::index_sequence<I...>) {
  (require_transferable<std::variant_alternative_t<I, Variant>>(), ...);
}

/// One member of an undescribed aggregate: refuses references and
/// addresses with a message about the member, else recurses.
template <class Aggregate, class Member>
constexpr void require_member() {
  if constexpr (std::is_reference_v<Member>) {
    static_assert(dependent_false<Member>,
                  "multiproc: this aggregate (see 'Aggregate = ...' above) has "
                  "a reference member (see 'Member = ...'): a reference "
                  "cannot be sent to another process. Hold the value itself, "
                  "or describe the type with MULTIPROC_CODEC_FIELDS or "
                  "specialize multiproc::codec<T>.");
  } else if constexpr (is_pointer_like<std::remove_cv_t<Member>>) {
    static_assert(dependent_false<Member>,
                  "multiproc: this aggregate (see 'Aggregate = ...' above) has "
                  "a pointer-like member (see 'Member = ...': a pointer, smart "
                  "pointer, std::string_view or std::span): the address it "
                  "holds means nothing in another process. Hold the value "
                  "itself (std::string, std::vector, std::optional<T>, ...), "
                  "or specialize multiproc::codec<T>.");
  } else {
    require_transferable<Member>();
  }
}

template <class Aggregate, class... Members>
constexpr void require_members(field_types<Members...>) {
  (require_member<Aggregate, Members>(), ...);
}

template <class T>
constexpr void require_transferable() {
  using U = std::remove_cv_t<T>;
  constexpr codec_kind kind = kind_of<U>();
  if constexpr (sync::is_handle_v<U>) {
    // A Part 4 handle is an address in this process's mapping of the
    // shared arena: it has no byte image (API.md Part 4).
    static_assert(dependent_false<U>,
                  "a multiproc lock, queue, pipe or shared object reaches "
                  "other processes only by inheritance: create it before "
                  "start(), async() or the pool, and capture it or pass it "
                  "as an argument");
  } else if constexpr (kind == codec_kind::pointer_like) {
    static_assert(dependent_false<U>,
                  "multiproc: a pointer, reference wrapper, smart pointer, "
                  "std::string_view or std::span cannot be sent to another "
                  "process: the address it holds means nothing there. Return "
                  "the value itself (std::string, std::vector, "
                  "std::optional<T>, ...).");
  } else if constexpr (kind == codec_kind::none) {
    static_assert(
        dependent_false<U>,
        "multiproc: this type cannot be sent between processes (see 'U = "
        "...' in the notes above). Use a supported type (arithmetic, "
        "enum, trivially copyable struct, aggregate of supported members, "
        "std::string, std::vector, std::array, std::optional, std::pair, "
        "std::tuple, std::variant, std::map, std::set and their unordered "
        "kin); or list the members of a class with private state with "
        "MULTIPROC_CODEC_FRIEND_FIELDS(T, members...) in its body (or "
        "MULTIPROC_CODEC_FIELDS at namespace scope); or specialize "
        "multiproc::codec<T> with static encode(encoder&, const T&) and "
        "decode(decoder&) (see multiproc/codec.hpp); or give T a cereal "
        "serialize() function and install cereal (libcereal-dev).");
  } else if constexpr (kind == codec_kind::aggregate) {
    constexpr aggregate_shape shape = shape_of_aggregate<U>();
    if constexpr (shape == aggregate_shape::too_many) {
      static_assert(dependent_false<U>,
                    "multiproc: this aggregate (see 'U = ...' above) has more "
                    "than 24 fields, the most multiproc takes apart by "
                    "itself. Describe it with MULTIPROC_CODEC_FIELDS(T, "
                    "members...) (up to 32), or specialize "
                    "multiproc::codec<T>.");
    } else if constexpr (shape == aggregate_shape::ambiguous) {
      static_assert(dependent_false<U>,
                    "multiproc: the fields of this aggregate (see 'U = ...' "
                    "above) cannot be listed automatically: it has a C array "
                    "member (use std::array), a member of an empty type, or "
                    "more than 24 fields. "
                    "Describe it with MULTIPROC_CODEC_FIELDS(T, members...), "
                    "or specialize multiproc::codec<T>.");
    } else {
      require_members<U>(aggregate_fields_t<U>{});
    }
  } else if constexpr (kind == codec_kind::sequence ||
                       kind == codec_kind::array ||
                       kind == codec_kind::optional) {
    require_transferable<typename U::value_type>();
  } else if constexpr (kind == codec_kind::pair) {
    require_transferable<typename U::first_type>();
    require_transferable<typename U::second_type>();
  } else if constexpr (kind == codec_kind::tuple) {
    require_elements<U>(std::make_index_sequence<std::tuple_size_v<U>>());
  } else if constexpr (kind == codec_kind::variant) {
    require_alternatives<U>(std::make_index_sequence<std::variant_size_v<U>>());
  } else if constexpr (kind == codec_kind::map) {
    require_transferable<typename U::key_type>();
    require_transferable<typename U::mapped_type>();
  } else if constexpr (kind == codec_kind::set) {
    require_transferable<typename U::key_type>();
  }
}

/// Whether a Part 4 handle is T or lies inside it (in a standard container,
/// optional, pair, tuple or variant), for the diagnostics of the pool,
/// whose arguments otherwise get a message of their own.
template <class T>
consteval bool holds_handle();

template <class Tuple, std::size_t... I>
consteval bool any_element_holds_handle(std::index_sequence<I...>) {
  return (holds_handle<std::tuple_element_t<I, Tuple>>() || ...);
}

template <class Variant, std::size_t... I>
consteval bool any_alternative_holds_handle(std::index_sequence<I...>) {
  return (holds_handle<std::variant_alternative_t<I, Variant>>() || ...);
}

template <class T>
consteval bool holds_handle() {
  using U = std::remove_cv_t<T>;
  if constexpr (sync::is_handle_v<U>) {
    return true;
  } else {
    constexpr codec_kind kind = kind_of<U>();
    if constexpr (kind == codec_kind::sequence || kind == codec_kind::array ||
                  kind == codec_kind::optional) {
      return holds_handle<typename U::value_type>();
    } else if constexpr (kind == codec_kind::pair) {
      return holds_handle<typename U::first_type>() ||
             holds_handle<typename U::second_type>();
    } else if constexpr (kind == codec_kind::tuple) {
      return any_element_holds_handle<U>(
          std::make_index_sequence<std::tuple_size_v<U>>());
    } else if constexpr (kind == codec_kind::variant) {
      return any_alternative_holds_handle<U>(
          std::make_index_sequence<std::variant_size_v<U>>());
    } else if constexpr (kind == codec_kind::map) {
      return holds_handle<typename U::key_type>() ||
             holds_handle<typename U::mapped_type>();
    } else if constexpr (kind == codec_kind::set) {
      return holds_handle<typename U::key_type>();
    } else {
      return false;
    }
  }
}

/// Types whose values are runs of raw bytes, so that arrays of them can be
/// copied in one block.
template <class T>
consteval bool is_block_copyable() {
  if constexpr (kind_of<T>() == codec_kind::bitwise) {
    return true;
  } else if constexpr (is_std_array<T>) {
    return kind_of<T>() == codec_kind::array &&
           is_block_copyable<typename T::value_type>();
  } else {
    return false;
  }
}

// --- Encodings -------------------------------------------------------------

template <class T>
void write_raw(encoder& out, const T& value) {
  out.write_bytes(std::addressof(value), sizeof(T));
}

template <class T>
T read_raw(decoder& in) {
  std::array<std::byte, sizeof(T)> raw;
  in.read_bytes(raw.data(), raw.size());
  return std::bit_cast<T>(raw);
}

/// A contiguous block of `count` block-copyable Ts, aligned so that the
/// parent can copy it into place in one go.
template <class T>
void write_block(encoder& out, const T* data, std::size_t count) {
  out.write_size(count);
  out.align(alignof(T));
  out.write_bytes(data, count * sizeof(T));
}

/// Blocks at least this large are decoded into memory advised to use
/// transparent huge pages (advise_huge_pages).
inline constexpr std::size_t kHugeBlock = std::size_t{4} << 20;

/// madvise(MADV_HUGEPAGE) over the whole pages of [data, data + size),
/// memory not yet touched: where THP is "madvise" (the common default),
/// the first writes then take one fault per 2 MiB instead of one per
/// 4 KiB, which on a VM is most of the cost of copying into fresh memory
/// (BENCHMARKS.md, "A 256 MiB argument"). Best effort: errors are ignored.
void advise_huge_pages(void* data, std::size_t size) noexcept;

/// Reads what write_block wrote into a container constructible from an
/// iterator range (vector, basic_string, deque, list).
template <class Container, class T = typename Container::value_type>
Container read_block(decoder& in) {
  const std::size_t count = in.read_size(sizeof(T));
  in.align(alignof(T));
  std::span<const std::byte> bytes = in.read_view(count * sizeof(T));
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % alignof(T) == 0) {
    // The bytes are a faithful image of Ts written by the same program, at
    // a suitable alignment: copy them in one block (memmove for trivially
    // copyable T). This is the path a 256 MiB result or argument takes.
    const T* first = reinterpret_cast<const T*>(bytes.data());
    if constexpr (std::is_same_v<typename Container::allocator_type,
                                 std::allocator<T>>) {
      if (bytes.size() >= kHugeBlock) {
        // Allocated, advised, then written once: reserve() touches nothing.
        Container result;
        result.reserve(count);
        advise_huge_pages(result.data(), bytes.size());
        result.assign(first, first + count);
        return result;
      }
    }
    return Container(first, first + count);
  }
  Container result;
  for (std::size_t i = 0; i < count; ++i) {
    std::array<std::byte, sizeof(T)> raw;
    std::memcpy(raw.data(), bytes.data() + i * sizeof(T), sizeof(T));
    result.push_back(std::bit_cast<T>(raw));
  }
  return result;
}

template <class T, std::size_t... I>
T read_tuple(decoder& in, std::index_sequence<I...>) {
  // Braced initialization evaluates its elements left to right.
  return T{in.read<std::tuple_element_t<I, T>>()...};
}

template <class T, class... Members>
T read_aggregate(decoder& in, field_types<Members...>) {
  // Braced initialization evaluates its elements left to right.
  return T{in.read<std::remove_cv_t<Members>>()...};
}

template <class T, std::size_t... I>
T read_array(decoder& in, std::index_sequence<I...>) {
  return T{{((void)I, in.read<typename T::value_type>())...}};
}

template <class T, std::size_t... I>
T read_variant(decoder& in, std::size_t index, std::index_sequence<I...>) {
  using reader = T (*)(decoder&);
  static constexpr reader readers[] = {+[](decoder& d) -> T {
    return T(std::in_place_index<I>,
             d.read<std::variant_alternative_t<I, T>>());
  }...};
  if (index >= sizeof...(I)) {
    throw codec_error("multiproc: variant index out of range");
  }
  return readers[index](in);
}

#if defined(MULTIPROC_HAS_CEREAL)
// std::streambuf adaptors so that cereal's binary archives read and write
// our byte streams directly.
class encoder_streambuf final : public std::streambuf {
 public:
  explicit encoder_streambuf(encoder& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* data, std::streamsize size) override {
    out_.write_bytes(data, static_cast<std::size_t>(size));
    return size;
  }
  int_type overflow(int_type ch) override {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return 0;
    char c = traits_type::to_char_type(ch);
    out_.write_bytes(&c, 1);
    return ch;
  }

 private:
  encoder& out_;
};

class decoder_streambuf final : public std::streambuf {
 public:
  explicit decoder_streambuf(std::span<const std::byte> bytes) {
    // streambuf wants char*; the buffer is only ever read.
    char* begin = reinterpret_cast<char*>(const_cast<std::byte*>(bytes.data()));
    setg(begin, begin, begin + bytes.size());
  }
  std::size_t consumed() const {
    return static_cast<std::size_t>(gptr() - eback());
  }
};
#endif

template <class T>
struct builtin_codec {
  static constexpr codec_kind kind = kind_of<T>();

  static void encode(encoder& out, const T& value) {
    if constexpr (kind == codec_kind::bitwise) {
      write_raw(out, value);
    } else if constexpr (kind == codec_kind::vector_bool) {
      out.write_size(value.size());
      for (bool bit : value) {
        const unsigned char byte = bit ? 1 : 0;
        out.write_bytes(&byte, 1);
      }
    } else if constexpr (kind == codec_kind::string) {
      write_block(out, value.data(), value.size());
    } else if constexpr (kind == codec_kind::sequence) {
      using element = typename T::value_type;
      if constexpr (is_block_copyable<element>() &&
                    is_specialization_of<T, std::vector>) {
        write_block(out, value.data(), value.size());
      } else {
        out.write_size(value.size());
        for (const auto& item : value) out.write(item);
      }
    } else if constexpr (kind == codec_kind::array) {
      if constexpr (is_block_copyable<T>()) {
        write_raw(out, value);
      } else {
        for (const auto& item : value) out.write(item);
      }
    } else if constexpr (kind == codec_kind::optional) {
      const bool engaged = value.has_value();
      write_raw(out, engaged);
      if (engaged) out.write(*value);
    } else if constexpr (kind == codec_kind::pair) {
      out.write(value.first);
      out.write(value.second);
    } else if constexpr (kind == codec_kind::tuple) {
      std::apply([&out](const auto&... items) { (out.write(items), ...); },
                 value);
    } else if constexpr (kind == codec_kind::variant) {
      out.write_size(value.index());
      std::visit([&out](const auto& item) { out.write(item); }, value);
    } else if constexpr (kind == codec_kind::map) {
      out.write_size(value.size());
      for (const auto& [key, mapped] : value) {
        out.write(key);
        out.write(mapped);
      }
    } else if constexpr (kind == codec_kind::set) {
      out.write_size(value.size());
      for (const auto& key : value) out.write(key);
    } else if constexpr (kind == codec_kind::described) {
      std::apply(
          [&out, &value](auto... members) { (out.write(value.*members), ...); },
          described_fields<T>());
    } else if constexpr (kind == codec_kind::aggregate) {
      require_transferable<T>();
      if constexpr (is_transferable<T>()) {
        visit_fields<aggregate_field_count<T>>(
            value, [&out](auto, const auto&... members) {
              (out.write(members), ...);
            });
      }
    } else if constexpr (kind == codec_kind::cereal) {
#if defined(MULTIPROC_HAS_CEREAL)
      encoder_streambuf buffer(out);
      std::ostream stream(&buffer);
      cereal::BinaryOutputArchive archive(stream);
      archive(value);
#endif
    } else {
      require_transferable<T>();
    }
  }

  static T decode(decoder& in) {
    if constexpr (kind == codec_kind::bitwise) {
      return read_raw<T>(in);
    } else if constexpr (kind == codec_kind::vector_bool) {
      const std::size_t count = in.read_size(1);
      T result(count);
      for (std::size_t i = 0; i < count; ++i) {
        result[i] = read_raw<unsigned char>(in) != 0;
      }
      return result;
    } else if constexpr (kind == codec_kind::string) {
      return read_block<T>(in);
    } else if constexpr (kind == codec_kind::sequence) {
      using element = typename T::value_type;
      if constexpr (is_block_copyable<element>() &&
                    is_specialization_of<T, std::vector>) {
        return read_block<T>(in);
      } else {
        const std::size_t count = in.read_size();
        T result;
        if constexpr (is_specialization_of<T, std::vector>) {
          result.reserve(std::min(count, in.remaining()));
        }
        for (std::size_t i = 0; i < count; ++i) {
          result.push_back(in.read<element>());
        }
        return result;
      }
    } else if constexpr (kind == codec_kind::array) {
      if constexpr (is_block_copyable<T>()) {
        return read_raw<T>(in);
      } else {
        return read_array<T>(in,
                             std::make_index_sequence<std::tuple_size_v<T>>());
      }
    } else if constexpr (kind == codec_kind::optional) {
      if (!read_raw<bool>(in)) return T();
      return T(in.read<typename T::value_type>());
    } else if constexpr (kind == codec_kind::pair) {
      auto first = in.read<typename T::first_type>();
      auto second = in.read<typename T::second_type>();
      return T(std::move(first), std::move(second));
    } else if constexpr (kind == codec_kind::tuple) {
      return read_tuple<T>(in,
                           std::make_index_sequence<std::tuple_size_v<T>>());
    } else if constexpr (kind == codec_kind::variant) {
      const std::size_t index = in.read_size();
      return read_variant<T>(
          in, index, std::make_index_sequence<std::variant_size_v<T>>());
    } else if constexpr (kind == codec_kind::map) {
      const std::size_t count = in.read_size();
      T result;
      for (std::size_t i = 0; i < count; ++i) {
        auto key = in.read<typename T::key_type>();
        auto mapped = in.read<typename T::mapped_type>();
        result.emplace_hint(result.end(), std::move(key), std::move(mapped));
      }
      return result;
    } else if constexpr (kind == codec_kind::set) {
      const std::size_t count = in.read_size();
      T result;
      for (std::size_t i = 0; i < count; ++i) {
        result.emplace_hint(result.end(), in.read<typename T::key_type>());
      }
      return result;
    } else if constexpr (kind == codec_kind::described) {
      static_assert(std::is_default_constructible_v<T>,
                    "multiproc: a type described with MULTIPROC_CODEC_FIELDS "
                    "must be default constructible: the parent makes one and "
                    "assigns the listed members in turn.");
      T result{};
      std::apply(
          [&in, &result](auto... members) {
            // A fold over the comma operator runs left to right.
            ((result.*members =
                  in.read<typename member_of<decltype(members)>::type>()),
             ...);
          },
          described_fields<T>());
      return result;
    } else if constexpr (kind == codec_kind::aggregate) {
      require_transferable<T>();
      if constexpr (is_transferable<T>()) {
        return read_aggregate<T>(in, aggregate_fields_t<T>{});
      }
    } else if constexpr (kind == codec_kind::cereal) {
#if defined(MULTIPROC_HAS_CEREAL)
      decoder_streambuf buffer(in.rest());
      std::istream stream(&buffer);
      T result{};
      {
        cereal::BinaryInputArchive archive(stream);
        archive(result);
      }
      in.read_view(buffer.consumed());
      return result;
#endif
    } else {
      require_transferable<T>();
    }
  }
};

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
