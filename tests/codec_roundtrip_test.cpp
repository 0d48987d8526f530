// The result codec: every supported category round-trips, nested freely,
// in memory and through a child.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <complex>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <multiproc/multiproc.hpp>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace mp = multiproc;

namespace {

enum class color : std::uint8_t { red = 1, green = 2 };
enum plain_enum { first_value, second_value };

struct point {
  double x;
  double y;
  color c;
  bool operator==(const point&) const = default;
};

struct alignas(32) wide {
  std::int64_t a[4];
  bool operator==(const wide&) const = default;
};

// A user type with its own codec: owns a string, so not bitwise.
struct account {
  std::string owner;
  std::vector<long> history;
  bool operator==(const account&) const = default;
};

// Not default constructible: decode must construct from read values.
struct no_default {
  explicit no_default(std::string s) : text(std::move(s)) {}
  std::string text;
  bool operator==(const no_default&) const = default;
};

template <class T>
T round_trip(const T& value) {
  return mp::decode<T>(mp::encode(value));
}

}  // namespace

template <>
struct multiproc::codec<account> {
  static void encode(encoder& out, const account& a) {
    out.write(a.owner);
    out.write(a.history);
  }
  static account decode(decoder& in) {
    auto owner = in.read<std::string>();
    auto history = in.read<std::vector<long>>();
    return {std::move(owner), std::move(history)};
  }
};

template <>
struct multiproc::codec<no_default> {
  static void encode(encoder& out, const no_default& v) { out.write(v.text); }
  static no_default decode(decoder& in) {
    return no_default(in.read<std::string>());
  }
};

TEST(CodecRoundtrip, Arithmetic) {
  EXPECT_EQ(round_trip(42), 42);
  EXPECT_EQ(round_trip(-1.5), -1.5);
  EXPECT_EQ(round_trip('x'), 'x');
  EXPECT_EQ(round_trip(true), true);
  EXPECT_EQ(round_trip(std::uint64_t{1} << 63), std::uint64_t{1} << 63);
  EXPECT_EQ(round_trip(1.25f), 1.25f);
  EXPECT_EQ(round_trip(static_cast<long double>(2.5)), 2.5L);
}

TEST(CodecRoundtrip, EnumsAndTriviallyCopyableStructs) {
  EXPECT_EQ(round_trip(color::green), color::green);
  EXPECT_EQ(round_trip(second_value), second_value);
  EXPECT_EQ(round_trip(point{1, 2, color::red}), (point{1, 2, color::red}));
  EXPECT_EQ(round_trip(wide{{1, 2, 3, 4}}), (wide{{1, 2, 3, 4}}));
  EXPECT_EQ(round_trip(std::complex<double>(1, 2)), std::complex<double>(1, 2));
  EXPECT_EQ(round_trip(std::chrono::milliseconds(5)),
            std::chrono::milliseconds(5));
  EXPECT_EQ(round_trip(std::byte{7}), std::byte{7});
}

TEST(CodecRoundtrip, Strings) {
  EXPECT_EQ(round_trip(std::string()), "");
  EXPECT_EQ(round_trip(std::string("hello\0world", 11)),
            std::string("hello\0world", 11));
  EXPECT_EQ(round_trip(std::wstring(L"wide")), L"wide");
  EXPECT_EQ(round_trip(std::u32string(U"x")), U"x");
  EXPECT_EQ(round_trip(std::string(100000, 'z')), std::string(100000, 'z'));
}

TEST(CodecRoundtrip, Sequences) {
  EXPECT_EQ(round_trip(std::vector<int>{1, 2, 3}), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(round_trip(std::vector<int>{}), std::vector<int>{});
  EXPECT_EQ(round_trip(std::vector<bool>{true, false, true}),
            (std::vector<bool>{true, false, true}));
  EXPECT_EQ(round_trip(std::vector<std::string>{"a", "", "c"}),
            (std::vector<std::string>{"a", "", "c"}));
  EXPECT_EQ(round_trip(std::deque<int>{4, 5}), (std::deque<int>{4, 5}));
  EXPECT_EQ(round_trip(std::list<std::string>{"x", "y"}),
            (std::list<std::string>{"x", "y"}));
  EXPECT_EQ(round_trip(std::vector<wide>{wide{{1, 2, 3, 4}}}),
            (std::vector<wide>{wide{{1, 2, 3, 4}}}));
  EXPECT_EQ(round_trip(std::vector<point>{{1, 2, color::red}}),
            (std::vector<point>{{1, 2, color::red}}));
}

TEST(CodecRoundtrip, ArraysOptionalsPairsTuples) {
  EXPECT_EQ(round_trip(std::array<int, 3>{1, 2, 3}),
            (std::array<int, 3>{1, 2, 3}));
  EXPECT_EQ(round_trip(std::array<std::string, 2>{"a", "b"}),
            (std::array<std::string, 2>{"a", "b"}));
  EXPECT_EQ(round_trip(std::optional<int>()), std::nullopt);
  EXPECT_EQ(round_trip(std::optional<std::string>("s")), "s");
  EXPECT_EQ(round_trip(std::pair<int, std::string>(1, "one")),
            (std::pair<int, std::string>(1, "one")));
  EXPECT_EQ(round_trip(std::tuple<int, std::string, double>(1, "t", 2.5)),
            (std::tuple<int, std::string, double>(1, "t", 2.5)));
  EXPECT_EQ(round_trip(std::tuple<>()), std::tuple<>());
}

TEST(CodecRoundtrip, Variants) {
  using v = std::variant<std::monostate, int, std::string, int>;
  EXPECT_EQ(round_trip(v()), v());
  EXPECT_EQ(round_trip(v(std::in_place_index<1>, 5)).index(), 1u);
  EXPECT_EQ(round_trip(v(std::in_place_index<3>, 5)).index(), 3u);
  EXPECT_EQ(std::get<2>(round_trip(v(std::in_place_index<2>, "s"))), "s");
}

TEST(CodecRoundtrip, MapsAndSets) {
  std::map<std::string, int> m{{"a", 1}, {"b", 2}};
  EXPECT_EQ(round_trip(m), m);
  std::multimap<int, int> mm{{1, 1}, {1, 2}, {0, 3}};
  EXPECT_EQ(round_trip(mm), mm);
  std::unordered_map<int, std::string> um{{1, "x"}, {2, "y"}};
  EXPECT_EQ(round_trip(um), um);
  std::set<std::string> s{"p", "q"};
  EXPECT_EQ(round_trip(s), s);
  std::multiset<int> ms{1, 1, 2};
  EXPECT_EQ(round_trip(ms), ms);
  std::unordered_set<int> us{5, 6, 7};
  EXPECT_EQ(round_trip(us), us);
  std::unordered_multiset<int> ums{5, 5};
  EXPECT_EQ(round_trip(ums), ums);
}

TEST(CodecRoundtrip, NestedFreely) {
  using nested = std::map<
      std::string,
      std::vector<std::variant<
          int, std::optional<std::tuple<std::string, std::set<double>>>,
          std::pair<point, std::array<std::vector<int>, 2>>>>>;
  nested value;
  value["one"].emplace_back(1);
  value["one"].emplace_back(
      std::optional<std::tuple<std::string, std::set<double>>>(
          std::tuple<std::string, std::set<double>>("t", {1.0, 2.0})));
  value["two"].emplace_back(std::pair<point, std::array<std::vector<int>, 2>>(
      point{3, 4, color::green}, {std::vector<int>{1}, std::vector<int>{}}));
  value["empty"];
  EXPECT_EQ(round_trip(value), value);
  EXPECT_EQ(mp::call([value] { return value; }), value);
}

TEST(CodecRoundtrip, UserCodec) {
  account a{"ann", {1, -2, 3}};
  EXPECT_EQ(round_trip(a), a);
  EXPECT_EQ(round_trip(std::vector<account>{a, a}),
            (std::vector<account>{a, a}));
  EXPECT_EQ(round_trip(no_default("nd")), no_default("nd"));
  EXPECT_EQ(round_trip(std::optional<no_default>(no_default("o")))->text, "o");
  EXPECT_EQ(
      round_trip(std::array<no_default, 2>{no_default("a"), no_default("b")})[1]
          .text,
      "b");
  EXPECT_EQ(mp::call([a] { return a; }), a);
}

TEST(CodecRoundtrip, LargeBlocksDecodeIntoHugePageAdvisedMemory) {
  // Past detail::kHugeBlock a vector or string is reserved, advised and
  // then assigned: the values must come out the same either way.
  std::vector<double> numbers((std::size_t{5} << 20) / sizeof(double) + 3);
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    numbers[i] = static_cast<double>(i) * 0.5;
  }
  std::string text((std::size_t{5} << 20) + 1, 'q');
  text.back() = 'z';
  EXPECT_EQ(round_trip(numbers), numbers);
  EXPECT_EQ(round_trip(text), text);
}

TEST(CodecRoundtrip, ShortInputThrowsCodecError) {
  std::vector<std::byte> bytes = mp::encode(std::string("abcdef"));
  bytes.pop_back();
  EXPECT_THROW(mp::decode<std::string>(bytes), mp::codec_error);
  EXPECT_THROW(mp::decode<int>(std::vector<std::byte>(2)), mp::codec_error);
  // A huge count in corrupt input must not allocate: it is checked first.
  std::vector<std::byte> huge = mp::encode(std::uint64_t{1} << 60);
  EXPECT_THROW(mp::decode<std::vector<int>>(huge), mp::codec_error);
  EXPECT_THROW(mp::decode<std::vector<std::string>>(huge), mp::codec_error);
}

TEST(CodecRoundtrip, LeftoverBytesThrowCodecError) {
  std::vector<std::byte> bytes = mp::encode(std::int64_t{5});
  EXPECT_THROW(mp::decode<std::int32_t>(bytes), mp::codec_error);
}

TEST(CodecRoundtrip, BadVariantIndexThrowsCodecError) {
  std::vector<std::byte> bytes = mp::encode(std::uint64_t{7});
  EXPECT_THROW((mp::decode<std::variant<int, char>>(bytes)), mp::codec_error);
}

TEST(CodecRoundtrip, EncoderSinkReceivesLargeBlocksDirectly) {
  struct capture {
    std::vector<std::size_t> sizes;
    std::vector<std::byte> bytes;
  } seen;
  auto sink = [](void* context, const void* data, std::size_t size) {
    auto* c = static_cast<capture*>(context);
    c->sizes.push_back(size);
    const auto* b = static_cast<const std::byte*>(data);
    c->bytes.insert(c->bytes.end(), b, b + size);
  };
  mp::encoder out(sink, &seen, 1024);
  std::vector<std::byte> big(4096, std::byte{3});
  out.write(big);
  out.flush();
  // The 4096-byte block went through as one piece, not via the buffer.
  EXPECT_NE(std::find(seen.sizes.begin(), seen.sizes.end(), 4096u),
            seen.sizes.end());
  EXPECT_EQ(out.size(), seen.bytes.size());
  EXPECT_EQ(mp::decode<std::vector<std::byte>>(seen.bytes), big);
}

TEST(CodecRoundtrip, TransferableConcept) {
  static_assert(mp::transferable<int>);
  static_assert(mp::transferable<point>);
  static_assert(mp::transferable<account>);
  static_assert(mp::transferable<std::map<std::string, std::vector<point>>>);
  static_assert(!mp::transferable<int*>);
  static_assert(!mp::transferable<const char*>);
  static_assert(!mp::transferable<std::string_view>);
  static_assert(!mp::transferable<std::span<int>>);
  static_assert(!mp::transferable<std::unique_ptr<int>>);
  static_assert(!mp::transferable<std::vector<int*>>);
  static_assert(!mp::transferable<std::optional<std::string_view>>);
  static_assert(
      !mp::transferable<std::vector<std::vector<std::function<void()>>>>);
  static_assert(!mp::transferable<std::reference_wrapper<int>>);
}
