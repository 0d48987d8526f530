// Field-by-field codecs for user structs: the description that
// MULTIPROC_CODEC_FIELDS writes, and aggregates taken apart with structured
// bindings when nothing describes them.
//
// Included by multiproc/detail/codec_builtin.hpp; not meant to be included
// on its own.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

// --- The description macros (see multiproc/codec.hpp) ----------------------

/// At namespace scope, in the namespace of `type` (so that argument-
/// dependent lookup finds it), for a type whose listed members are public:
///
///   class point {
///    public:
///     point() = default;
///     point(double x, double y, std::string label);
///     double x = 0, y = 0;
///     std::string label;
///   };
///   MULTIPROC_CODEC_FIELDS(point, x, y, label);
///
/// The members travel in the order listed; `type` must be default
/// constructible and its members assignable. Up to 32 members.
#define MULTIPROC_CODEC_FIELDS(type, ...)                                     \
  [[maybe_unused]] constexpr auto multiproc_fields(                           \
      ::std::type_identity<type>) noexcept {                                  \
    return ::std::tuple{MULTIPROC_DETAIL_MEMBER_POINTERS(type, __VA_ARGS__)}; \
  }                                                                           \
  static_assert(true, "")

/// Inside the class body, for private members too (it defines a hidden
/// friend, found by argument-dependent lookup):
///
///   class account {
///    public:
///     account() = default;
///     ...
///    private:
///     std::string owner_;
///     long cents_ = 0;
///     MULTIPROC_CODEC_FRIEND_FIELDS(account, owner_, cents_);
///   };
#define MULTIPROC_CODEC_FRIEND_FIELDS(type, ...)                              \
  [[maybe_unused]] friend constexpr auto multiproc_fields(                    \
      ::std::type_identity<type>) noexcept {                                  \
    return ::std::tuple{MULTIPROC_DETAIL_MEMBER_POINTERS(type, __VA_ARGS__)}; \
  }                                                                           \
  static_assert(true, "")

#define MULTIPROC_DETAIL_CAT(a, b) MULTIPROC_DETAIL_CAT_(a, b)
#define MULTIPROC_DETAIL_CAT_(a, b) a##b
#define MULTIPROC_DETAIL_MEMBER_POINTERS(type, ...)         \
  MULTIPROC_DETAIL_CAT(MULTIPROC_DETAIL_MEMBER_POINTERS_,   \
                       MULTIPROC_DETAIL_COUNT(__VA_ARGS__)) \
  (type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_1(type, field) &type::field
#define MULTIPROC_DETAIL_MEMBER_POINTERS_2(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_1(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_3(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_2(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_4(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_3(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_5(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_4(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_6(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_5(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_7(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_6(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_8(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_7(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_9(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_8(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_10(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_9(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_11(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_10(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_12(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_11(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_13(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_12(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_14(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_13(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_15(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_14(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_16(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_15(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_17(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_16(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_18(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_17(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_19(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_18(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_20(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_19(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_21(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_20(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_22(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_21(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_23(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_22(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_24(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_23(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_25(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_24(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_26(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_25(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_27(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_26(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_28(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_27(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_29(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_28(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_30(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_29(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_31(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_30(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_MEMBER_POINTERS_32(type, field, ...) \
  &type::field, MULTIPROC_DETAIL_MEMBER_POINTERS_31(type, __VA_ARGS__)
#define MULTIPROC_DETAIL_COUNT(...)                                            \
  MULTIPROC_DETAIL_COUNT_(__VA_ARGS__, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, \
                          22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10,  \
                          9, 8, 7, 6, 5, 4, 3, 2, 1)
#define MULTIPROC_DETAIL_COUNT_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, \
                                _12, _13, _14, _15, _16, _17, _18, _19, _20,  \
                                _21, _22, _23, _24, _25, _26, _27, _28, _29,  \
                                _30, _31, _32, n, ...)                        \
  n

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

// --- Described types -------------------------------------------------------

/// True when MULTIPROC_CODEC_FIELDS or MULTIPROC_CODEC_FRIEND_FIELDS
/// describes T (found by argument-dependent lookup through
/// std::type_identity<T>, whose associated entities include T).
template <class T>
concept has_described_fields = requires {
  multiproc_fields(std::type_identity<T>{});
};

template <class T>
constexpr auto described_fields() {
  return multiproc_fields(std::type_identity<T>{});
}

/// The type of the member a pointer to member names.
template <class MemberPointer>
struct member_of;
template <class Class, class Member>
struct member_of<Member Class::*> {
  using type = Member;
};

// --- Aggregates ------------------------------------------------------------

/// The most fields an undescribed aggregate may have (the structured
/// bindings below are written out up to this count).
inline constexpr std::size_t kMaxAggregateFields = 24;

/// Converts to any type: an aggregate T can be brace-initialized from n of
/// these exactly when it has at least n fields. The conversion to U& also
/// initializes reference members, so that they are counted (and then
/// refused by name).
struct any_field {
  template <class U>
  operator U&() const noexcept;  // never defined: unevaluated use only
};

template <class T, std::size_t... I>
consteval bool brace_initializable(std::index_sequence<I...>) {
  return requires { T{((void)I, any_field{})...}; };
}

// The same with each initializer in its own braces: a C array member then
// takes one initializer instead of one per element, so the two counts
// differ when brace elision split a member.
template <class T, std::size_t... I>
consteval bool nested_brace_initializable(std::index_sequence<I...>) {
  return requires { T{{((void)I, any_field{})}...}; };
}

template <class T, bool Nested, std::size_t N>
consteval bool initializable_from() {
  constexpr auto count = std::make_index_sequence<N>();
  if constexpr (Nested) {
    return nested_brace_initializable<T>(count);
  } else {
    return brace_initializable<T>(count);
  }
}

/// The number of fields of aggregate T: the largest N for which T{x1, ...,
/// xN} compiles. Searched downwards, since with a reference member (which
/// must be initialized) smaller counts fail too. kMaxAggregateFields + 1
/// means more than the maximum, kNoFieldCount that no count works.
inline constexpr std::size_t kNoFieldCount = ~std::size_t{0};

template <class T, bool Nested, std::size_t N = kMaxAggregateFields + 1>
consteval std::size_t brace_count() {
  if constexpr (initializable_from<T, Nested, N>()) {
    return N;
  } else if constexpr (N == 0) {
    return kNoFieldCount;
  } else {
    return brace_count<T, Nested, N - 1>();
  }
}

enum class aggregate_shape {
  ok,         // aggregate_field_count<T> fields, bound one by one
  too_many,   // more than kMaxAggregateFields
  ambiguous,  // a C array or empty-type member: the counts disagree, or
              // no count works
};

template <class T>
consteval aggregate_shape shape_of_aggregate() {
  constexpr std::size_t plain = brace_count<T, false>();
  if constexpr (plain == kMaxAggregateFields + 1) {
    return aggregate_shape::too_many;
  } else if constexpr (plain == kNoFieldCount ||
                       plain != brace_count<T, true>()) {
    return aggregate_shape::ambiguous;
  } else {
    return aggregate_shape::ok;
  }
}

template <class T>
inline constexpr std::size_t aggregate_field_count = brace_count<T, false>();

template <class... Members>
struct field_types {};

/// Calls fn(field_types<decltype(m1), ...>{}, m1, ...) with the members of
/// `value` bound by structured bindings. decltype of a binding is the
/// member's declared type (a reference for a reference member, const for a
/// const member). Written out for each count up to kMaxAggregateFields.
template <std::size_t N, class T, class F>
constexpr decltype(auto) visit_fields(T& value, F&& fn) {
  if constexpr (N == 0) {
    return fn(field_types<>{});
  } else if constexpr (N == 1) {
    auto& [m1] = value;
    return fn(field_types<decltype(m1)>{}, m1);
  } else if constexpr (N == 2) {
    auto& [m1, m2] = value;
    return fn(field_types<decltype(m1), decltype(m2)>{}, m1, m2);
  } else if constexpr (N == 3) {
    auto& [m1, m2, m3] = value;
    return fn(field_types<decltype(m1), decltype(m2), decltype(m3)>{}, m1, m2,
              m3);
  } else if constexpr (N == 4) {
    auto& [m1, m2, m3, m4] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4)>{},
        m1, m2, m3, m4);
  } else if constexpr (N == 5) {
    auto& [m1, m2, m3, m4, m5] = value;
    return fn(field_types<decltype(m1), decltype(m2), decltype(m3),
                          decltype(m4), decltype(m5)>{},
              m1, m2, m3, m4, m5);
  } else if constexpr (N == 6) {
    auto& [m1, m2, m3, m4, m5, m6] = value;
    return fn(field_types<decltype(m1), decltype(m2), decltype(m3),
                          decltype(m4), decltype(m5), decltype(m6)>{},
              m1, m2, m3, m4, m5, m6);
  } else if constexpr (N == 7) {
    auto& [m1, m2, m3, m4, m5, m6, m7] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7)>{},
        m1, m2, m3, m4, m5, m6, m7);
  } else if constexpr (N == 8) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8)>{},
        m1, m2, m3, m4, m5, m6, m7, m8);
  } else if constexpr (N == 9) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9] = value;
    return fn(field_types<decltype(m1), decltype(m2), decltype(m3),
                          decltype(m4), decltype(m5), decltype(m6),
                          decltype(m7), decltype(m8), decltype(m9)>{},
              m1, m2, m3, m4, m5, m6, m7, m8, m9);
  } else if constexpr (N == 10) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10);
  } else if constexpr (N == 11) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11);
  } else if constexpr (N == 12) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12] = value;
    return fn(field_types<decltype(m1), decltype(m2), decltype(m3),
                          decltype(m4), decltype(m5), decltype(m6),
                          decltype(m7), decltype(m8), decltype(m9),
                          decltype(m10), decltype(m11), decltype(m12)>{},
              m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12);
  } else if constexpr (N == 13) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13);
  } else if constexpr (N == 14) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13), decltype(m14)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14);
  } else if constexpr (N == 15) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15] =
        value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13), decltype(m14), decltype(m15)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15);
  } else if constexpr (N == 16) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15,
           m16] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13), decltype(m14), decltype(m15),
                    decltype(m16)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16);
  } else if constexpr (N == 17) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15,
           m16, m17] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13), decltype(m14), decltype(m15), decltype(m16),
                    decltype(m17)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16,
        m17);
  } else if constexpr (N == 18) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15,
           m16, m17, m18] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13), decltype(m14), decltype(m15), decltype(m16),
                    decltype(m17), decltype(m18)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16,
        m17, m18);
  } else if constexpr (N == 19) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15,
           m16, m17, m18, m19] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13), decltype(m14), decltype(m15), decltype(m16),
                    decltype(m17), decltype(m18), decltype(m19)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16,
        m17, m18, m19);
  } else if constexpr (N == 20) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15,
           m16, m17, m18, m19, m20] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13), decltype(m14), decltype(m15), decltype(m16),
                    decltype(m17), decltype(m18), decltype(m19),
                    decltype(m20)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16,
        m17, m18, m19, m20);
  } else if constexpr (N == 21) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15,
           m16, m17, m18, m19, m20, m21] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13), decltype(m14), decltype(m15), decltype(m16),
                    decltype(m17), decltype(m18), decltype(m19), decltype(m20),
                    decltype(m21)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16,
        m17, m18, m19, m20, m21);
  } else if constexpr (N == 22) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15,
           m16, m17, m18, m19, m20, m21, m22] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13), decltype(m14), decltype(m15), decltype(m16),
                    decltype(m17), decltype(m18), decltype(m19), decltype(m20),
                    decltype(m21), decltype(m22)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16,
        m17, m18, m19, m20, m21, m22);
  } else if constexpr (N == 23) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15,
           m16, m17, m18, m19, m20, m21, m22, m23] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13), decltype(m14), decltype(m15), decltype(m16),
                    decltype(m17), decltype(m18), decltype(m19), decltype(m20),
                    decltype(m21), decltype(m22), decltype(m23)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16,
        m17, m18, m19, m20, m21, m22, m23);
  } else if constexpr (N == 24) {
    auto& [m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15,
           m16, m17, m18, m19, m20, m21, m22, m23, m24] = value;
    return fn(
        field_types<decltype(m1), decltype(m2), decltype(m3), decltype(m4),
                    decltype(m5), decltype(m6), decltype(m7), decltype(m8),
                    decltype(m9), decltype(m10), decltype(m11), decltype(m12),
                    decltype(m13), decltype(m14), decltype(m15), decltype(m16),
                    decltype(m17), decltype(m18), decltype(m19), decltype(m20),
                    decltype(m21), decltype(m22), decltype(m23),
                    decltype(m24)>{},
        m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15, m16,
        m17, m18, m19, m20, m21, m22, m23, m24);
  } else {
    static_assert(N <= kMaxAggregateFields, "multiproc: unreachable");
  }
}

/// field_types<...> of the members of aggregate T.
template <class T>
using aggregate_fields_t = decltype(visit_fields<aggregate_field_count<T>>(
    std::declval<T&>(), [](auto types, auto&...) { return types; }));

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
