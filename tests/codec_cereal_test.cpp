#include <gtest/gtest.h>
TEST(CodecCereal, Placeholder) {}
