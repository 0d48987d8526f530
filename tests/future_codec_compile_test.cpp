#include <gtest/gtest.h>
TEST(CodecCompile, Placeholder) {}
