// The portable form of a launch request (src/launch/portable_request.hpp):
// what a forkserver or spawn child decodes is what the parent encoded.
#include <gtest/gtest.h>

#include <cstddef>
#include <multiproc/codec.hpp>
#include <vector>

#include "launch/portable_request.hpp"

namespace mpd = multiproc::detail;

namespace {

std::vector<std::byte> bytes_of(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

mpd::portable_request sample() {
  mpd::portable_request request;
  request.context = {"SpawnProcess-2:1", "Process-2", 4242, {2, 1}, true, true};
  request.target = bytes_of({1, 2, 3, 0, 255});
  request.arguments = bytes_of({9, 8, 7});
  request.arguments_fd = 13;
  request.registrations = {bytes_of({4}), {}, bytes_of({5, 6})};
  return request;
}

TEST(LaunchRequest, RoundTripsEveryField) {
  const mpd::portable_request request = sample();
  const std::vector<mpd::passed_fd> fds{{17, 3}, {4, 0}, {30, 12}};
  const auto bytes = mpd::encode_portable_request(request, fds);
  const mpd::decoded_request decoded = mpd::decode_portable_request(bytes);
  EXPECT_EQ(decoded.request, request);
  // Only the child's numbers travel: the parent's mean nothing there.
  EXPECT_EQ(decoded.child_fds, (std::vector<int>{3, 0, 12}));
}

TEST(LaunchRequest, RoundTripsAnEmptyRequest) {
  const mpd::portable_request request;
  const auto bytes = mpd::encode_portable_request(request, {});
  const mpd::decoded_request decoded = mpd::decode_portable_request(bytes);
  EXPECT_EQ(decoded.request, request);
  EXPECT_TRUE(decoded.child_fds.empty());
}

TEST(LaunchRequest, FlagsTravelIndependently) {
  mpd::portable_request request = sample();
  request.context.daemon = false;
  request.context.kill_on_parent_death = true;
  auto decoded =
      mpd::decode_portable_request(mpd::encode_portable_request(request, {}));
  EXPECT_FALSE(decoded.request.context.daemon);
  EXPECT_TRUE(decoded.request.context.kill_on_parent_death);
}

TEST(LaunchRequest, EveryTruncationIsRefused) {
  const auto bytes = mpd::encode_portable_request(sample(), {});
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_THROW(mpd::decode_portable_request(
                     std::span<const std::byte>(bytes.data(), size)),
                 multiproc::codec_error)
        << size;
  }
}

TEST(LaunchRequest, TrailingBytesAndForeignBytesAreRefused) {
  auto bytes = mpd::encode_portable_request(sample(), {});
  bytes.push_back(std::byte{0});
  EXPECT_THROW(mpd::decode_portable_request(bytes), multiproc::codec_error);
  auto wrong_marker = mpd::encode_portable_request(sample(), {});
  wrong_marker[0] ^= std::byte{0xFF};
  EXPECT_THROW(mpd::decode_portable_request(wrong_marker),
               multiproc::codec_error);
}

}  // namespace
