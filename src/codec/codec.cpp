// The non-template parts of encoder and decoder.
#include "multiproc/codec.hpp"

#include <cstdint>
#include <limits>

#include "posix/mapping.hpp"

namespace multiproc::inline v0 {
namespace {

// Above this many buffered bytes an encoder with a sink passes them on, so
// that a result made of many small pieces does not sit in memory twice.
constexpr std::size_t kFlushThreshold = 1 << 20;

}  // namespace

void encoder::write_bytes_slowly(const void* data, std::size_t size) {
  if (size == 0) return;
  if (sink_ != nullptr && size >= threshold_) {
    // A large block goes straight from the caller's memory to the sink.
    flush();
    sink_(sink_context_, data, size);
    sent_ += size;
    return;
  }
  const auto* bytes = static_cast<const std::byte*>(data);
  buffer_.insert(buffer_.end(), bytes, bytes + size);
  if (sink_ != nullptr && buffer_.size() >= kFlushThreshold) flush();
}

void encoder::align(std::size_t alignment) {
  if (alignment <= 1) return;
  const std::size_t misalignment = size() % alignment;
  if (misalignment == 0) return;
  buffer_.resize(buffer_.size() + (alignment - misalignment), std::byte{0});
}

void encoder::write_size(std::size_t size) {
  const std::uint64_t value = size;
  write_bytes(&value, sizeof value);
}

void encoder::flush() {
  if (sink_ == nullptr || buffer_.empty()) return;
  sink_(sink_context_, buffer_.data(), buffer_.size());
  sent_ += buffer_.size();
  buffer_.clear();
}

void decoder::throw_short_input() {
  throw codec_error("multiproc: not enough bytes to decode the value");
}

void decoder::align(std::size_t alignment) {
  if (alignment <= 1) return;
  const std::size_t misalignment = position_ % alignment;
  if (misalignment == 0) return;
  read_view(alignment - misalignment);
}

std::size_t decoder::read_size(std::size_t min_element_size) {
  std::uint64_t value = 0;
  read_bytes(&value, sizeof value);
  if (value > std::numeric_limits<std::size_t>::max()) throw_short_input();
  const auto count = static_cast<std::size_t>(value);
  if (min_element_size != 0 && count > remaining() / min_element_size) {
    throw_short_input();
  }
  return count;
}

namespace detail {

void advise_huge_pages(void* data, std::size_t size) noexcept {
  mapping::advise_huge_pages(data, size);
}

}  // namespace detail
}  // namespace multiproc::inline v0
