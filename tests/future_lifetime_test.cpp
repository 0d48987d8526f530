#include <gtest/gtest.h>
TEST(FutureLifetime, Placeholder) {}
