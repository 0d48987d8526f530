// set_start_method / get_start_method and their misuse messages (API.md
// Part 5), and the portable concept. Each test runs in its own process, so
// the process-wide default starts at fork in every one.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <multiproc/multiproc.hpp>
#include <string>
#include <string_view>

namespace mp = multiproc;

namespace {

void plain(int) {}
struct empty_object {
  void operator()() const {}
};

// The message of the usage_error `call` throws, or "" when it throws none.
template <class Call>
std::string usage_message(Call call) {
  try {
    call();
  } catch (const mp::usage_error& e) {
    return e.what();
  }
  return "";
}

TEST(StartMethodChoice, DefaultIsFork) {
  EXPECT_EQ(mp::get_start_method(), mp::start_method::fork);
}

TEST(StartMethodChoice, NamesArePythons) {
  EXPECT_EQ(mp::to_string(mp::start_method::fork), "fork");
  EXPECT_EQ(mp::to_string(mp::start_method::forkserver), "forkserver");
  EXPECT_EQ(mp::to_string(mp::start_method::spawn), "spawn");
}

TEST(StartMethodChoice, SetThenGet) {
  mp::set_start_method(mp::start_method::spawn);
  EXPECT_EQ(mp::get_start_method(), mp::start_method::spawn);
}

TEST(StartMethodChoice, SecondSetIsRefusedUnlessForced) {
  mp::set_start_method(mp::start_method::spawn);
  EXPECT_EQ(usage_message([] { mp::set_start_method(mp::start_method::fork); }),
            "context has already been set");
  EXPECT_EQ(mp::get_start_method(), mp::start_method::spawn);
  mp::set_start_method(mp::start_method::fork, true);
  EXPECT_EQ(mp::get_start_method(), mp::start_method::fork);
}

TEST(StartMethodChoice, SetAfterAStartIsRefused) {
  mp::process child(plain, 1);
  child.start();
  child.join();
  EXPECT_EQ(
      usage_message([] { mp::set_start_method(mp::start_method::spawn); }),
      "context has already been set");
  mp::set_start_method(mp::start_method::spawn, true);
  EXPECT_EQ(mp::get_start_method(), mp::start_method::spawn);
}

TEST(StartMethodChoice, ForkserverCanBeTheDefault) {
  mp::set_start_method(mp::start_method::forkserver);
  EXPECT_EQ(mp::get_start_method(), mp::start_method::forkserver);
  mp::process child(plain, 4);
  child.start();
  child.join();
  EXPECT_EQ(child.exitcode(), 0);
}

TEST(StartMethodPortable, WhatMayTravel) {
  static_assert(mp::portable<void (*)(int), int>);
  static_assert(mp::portable<decltype(&plain), int>);
  static_assert(mp::portable<empty_object>);
  constexpr auto captureless = [](std::string) {};
  static_assert(mp::portable<decltype(captureless), std::string>);
  int value = 0;
  auto capturing = [&value] { ++value; };
  static_assert(!mp::portable<decltype(capturing)>);
  static_assert(!mp::portable<std::function<void()>>);
  static_assert(!mp::portable<void (*)(int*), int*>);
  static_assert(
      !mp::portable<void (*)(std::unique_ptr<int>), std::unique_ptr<int>>);
  SUCCEED();
}

}  // namespace
