// User structs without a hand-written codec (issue 9): aggregates taken
// apart member by member, classes described with MULTIPROC_CODEC_FIELDS,
// nested and inside standard containers, through encode/decode, mp::async
// and mp::pool.
#include <gtest/gtest.h>

#include <map>
#include <multiproc/multiproc.hpp>
#include <multiproc/pool.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mp = multiproc;

namespace shapes {

// No line at all: an aggregate.
struct sample {
  std::string name;
  std::vector<double> values;
  int id = 0;
  bool operator==(const sample&) const = default;
};

// Aggregates nested in an aggregate, directly and in containers.
struct batch {
  sample head;
  std::vector<sample> rest;
  std::optional<sample> spare;
  std::map<std::string, sample> by_name;
  const long stamp = 0;
  bool operator==(const batch&) const = default;
};

// Private state, described in its body.
class account {
 public:
  account() = default;
  account(std::string owner, long cents)
      : owner_(std::move(owner)), cents_(cents) {}
  const std::string& owner() const { return owner_; }
  long cents() const { return cents_; }
  bool operator==(const account&) const = default;

 private:
  std::string owner_;
  long cents_ = 0;
  std::vector<sample> history_;
  MULTIPROC_CODEC_FRIEND_FIELDS(account, owner_, cents_, history_);
};

// A non-aggregate with public members, described at namespace scope; the
// description lists only what travels.
class labelled_point {
 public:
  labelled_point() = default;
  labelled_point(double px, double py, std::string text)
      : x(px), y(py), label(std::move(text)) {}
  double x = 0;
  double y = 0;
  std::string label;
  int cache = -1;  // not listed: stays at its default in the parent
};
MULTIPROC_CODEC_FIELDS(labelled_point, x, y, label);

// A described type that contains itself.
struct tree {
  std::string label;
  std::vector<tree> children;
  tree() = default;
  explicit tree(std::string text, std::vector<tree> kids = {})
      : label(std::move(text)), children(std::move(kids)) {}
};
MULTIPROC_CODEC_FIELDS(tree, label, children);

}  // namespace shapes

namespace {

using shapes::account;
using shapes::batch;
using shapes::labelled_point;
using shapes::sample;

sample make_sample(int id) {
  return {"s" + std::to_string(id), {id * 1.5, id * 2.5}, id};
}

batch make_batch() {
  return batch{make_sample(1),
               {make_sample(2), make_sample(3)},
               make_sample(4),
               {{"five", make_sample(5)}},
               77};
}

template <class T>
T roundtrip(const T& value) {
  return mp::decode<T>(mp::encode(value));
}

sample exclaim(sample s) {
  s.name += "!";
  s.values.push_back(0.5);
  return s;
}
account deposit(account a, long cents) {
  return account(a.owner(), a.cents() + cents);
}
batch echo_batch(batch b) { return b; }
int count_children(shapes::tree t) {
  int n = 1;
  for (const auto& child : t.children) n += count_children(child);
  return n;
}

}  // namespace

static_assert(mp::transferable<sample>);
static_assert(mp::transferable<batch>);
static_assert(mp::transferable<account>);
static_assert(mp::transferable<std::vector<std::map<int, sample>>>);

TEST(CodecFields, AggregateWithStringAndVectorRoundTrips) {
  EXPECT_EQ(roundtrip(make_sample(3)), make_sample(3));
}

TEST(CodecFields, NestedAggregatesRoundTrip) {
  EXPECT_EQ(roundtrip(make_batch()), make_batch());
  const std::vector<batch> many{make_batch(), make_batch()};
  EXPECT_EQ(roundtrip(many), many);
}

TEST(CodecFields, DescribedClassWithPrivateMembersRoundTrips) {
  const account a("ada", 1234);
  EXPECT_EQ(roundtrip(a), a);
  EXPECT_EQ(roundtrip(std::optional<account>(a)), std::optional<account>(a));
}

TEST(CodecFields, NamespaceScopeDescriptionSendsOnlyTheListedMembers) {
  labelled_point p(1.5, -2, "corner");
  p.cache = 9;
  const auto back = roundtrip(p);
  EXPECT_EQ(back.x, 1.5);
  EXPECT_EQ(back.y, -2);
  EXPECT_EQ(back.label, "corner");
  EXPECT_EQ(back.cache, -1);
}

TEST(CodecFields, DescribedTypeMayContainItself) {
  const shapes::tree t(
      "root", {shapes::tree("a", {shapes::tree("b")}), shapes::tree("c")});
  const auto back = roundtrip(t);
  ASSERT_EQ(back.children.size(), 2U);
  EXPECT_EQ(back.children[0].children[0].label, "b");
}

TEST(CodecFields, TriviallyCopyableStructsKeepTheirRawBytes) {
  struct plain {
    int a;
    double b;
  };
  // Raw bytes: exactly the object's size, no per-member framing.
  EXPECT_EQ(mp::encode(plain{1, 2.0}).size(), sizeof(plain));
}

TEST(CodecFields, ThroughAsync) {
  EXPECT_EQ(mp::call(exclaim, make_sample(7)).name, "s7!");
  EXPECT_EQ(mp::call([] { return make_batch(); }), make_batch());
  EXPECT_EQ(mp::call([] { return account("bob", 5); }), account("bob", 5));
}

TEST(CodecFields, ThroughAPool) {
  mp::pool workers({.processes = 2});
  const sample s = workers.apply(exclaim, make_sample(2));
  EXPECT_EQ(s.name, "s2!");
  ASSERT_EQ(s.values.size(), 3U);
  EXPECT_EQ(s.values[2], 0.5);
  EXPECT_EQ(workers.submit(deposit, account("cy", 10), 5L).get(),
            account("cy", 15));
  EXPECT_EQ(workers.apply(echo_batch, make_batch()), make_batch());
  std::vector<sample> inputs{make_sample(1), make_sample(2), make_sample(3)};
  const auto renamed = workers.map(exclaim, inputs);
  ASSERT_EQ(renamed.size(), 3U);
  EXPECT_EQ(renamed[2].name, "s3!");
  EXPECT_EQ(
      workers.apply(count_children, shapes::tree("r", {shapes::tree("x")})), 2);
}
