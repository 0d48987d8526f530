#include <gtest/gtest.h>
TEST(CodecRoundtrip, Placeholder) {}
