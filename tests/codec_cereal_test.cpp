// Types that cereal can serialize travel through its binary archive.
#include <gtest/gtest.h>

#include <cereal/types/map.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>
#include <map>
#include <multiproc/multiproc.hpp>
#include <string>
#include <vector>

namespace mp = multiproc;

namespace {

struct inventory {
  std::string store;
  std::map<std::string, std::vector<int>> stock;
  template <class Archive>
  void serialize(Archive& archive) {
    archive(store, stock);
  }
  bool operator==(const inventory&) const = default;
};

// Trivially copyable, but it asked for cereal: cereal wins over raw bytes.
struct counted {
  int value = 0;
  template <class Archive>
  void save(Archive& archive) const {
    archive(value + 1000);
  }
  template <class Archive>
  void load(Archive& archive) {
    archive(value);
  }
};

}  // namespace

static_assert(MULTIPROC_HAS_CEREAL == 1);

TEST(CodecCereal, SerializableTypeRoundTrips) {
  inventory inv{"north", {{"apples", {1, 2}}, {"pears", {}}}};
  EXPECT_EQ(mp::decode<inventory>(mp::encode(inv)), inv);
  EXPECT_EQ(mp::call([inv] { return inv; }), inv);
}

TEST(CodecCereal, NestsInsideBuiltInTypes) {
  std::vector<std::pair<inventory, int>> many{{inventory{"a", {}}, 1},
                                              {inventory{"b", {}}, 2}};
  auto back = mp::call([many] { return many; });
  EXPECT_EQ(back, many);
}

TEST(CodecCereal, CerealWinsOverRawBytes) {
  EXPECT_EQ(mp::decode<counted>(mp::encode(counted{5})).value, 1005);
}
