#include <gtest/gtest.h>
TEST(FutureException, Placeholder) {}
