// Large arguments of a portable request travel in a file of their own
// (src/launch/argument_file.hpp): the writer makes one only for large
// arguments, the file holds exactly what a plain encoder makes, and the
// child's mapping reads it back, closes the fd and unmaps on release.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstddef>
#include <multiproc/codec.hpp>
#include <string>
#include <vector>

#include "launch/argument_file.hpp"

namespace mpd = multiproc::detail;

namespace {

std::vector<std::byte> plainly_encoded(const std::vector<int>& numbers,
                                       const std::string& text) {
  multiproc::encoder out;
  out.write(numbers);
  out.write(text);
  return std::move(out).take_bytes();
}

TEST(LaunchArguments, SmallArgumentsStayInTheRequest) {
  mpd::argument_writer writer;
  writer.out().write(std::vector<int>{1, 2, 3});
  writer.out().write(std::string("small"));
  std::vector<std::byte> small;
  const mpd::unique_fd file = writer.finish(small);
  EXPECT_FALSE(file);
  EXPECT_EQ(small, plainly_encoded({1, 2, 3}, "small"));
}

TEST(LaunchArguments, LargeArgumentsGoToAFileTheChildMaps) {
  std::vector<int> numbers(1 << 20);
  for (std::size_t i = 0; i < numbers.size(); ++i) {
    numbers[i] = static_cast<int>(i * 7);
  }
  const std::string text = "after the large block";
  mpd::argument_writer writer;
  writer.out().write(numbers);
  writer.out().write(text);
  std::vector<std::byte> small;
  mpd::unique_fd file = writer.finish(small);
  ASSERT_TRUE(file);
  EXPECT_TRUE(small.empty());

  const int fd = file.release();
  mpd::mapped_arguments mapped(fd);
  // The fd is the library's: closed once mapped, before any target runs.
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
  const std::span<const std::byte> bytes = mapped.bytes();
  const std::vector<std::byte> expected = plainly_encoded(numbers, text);
  ASSERT_EQ(bytes.size(), expected.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), expected.begin()));
  multiproc::decoder in(bytes);
  EXPECT_EQ(in.read<std::vector<int>>(), numbers);
  EXPECT_EQ(in.read<std::string>(), text);

  mpd::mapped_arguments::release(&mapped);
  EXPECT_TRUE(mapped.bytes().empty());
}

TEST(LaunchArguments, AFileThatCannotBeReadIsASystemError) {
  EXPECT_THROW(mpd::mapped_arguments(-1), std::system_error);
}

}  // namespace
