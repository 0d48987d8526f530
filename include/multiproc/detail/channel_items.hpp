// How a T becomes the bytes of a queue item or a pipe message and back
// (queue.hpp, connection.hpp): a trivially copyable T as its own bytes,
// with no codec call and no allocation; any other T through the codec,
// encoded in the caller and decoded in place in the slot.
#pragma once

#include <array>
#include <bit>
#include <cstddef>
#include <cstring>
#include <exception>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "multiproc/codec.hpp"
#include "multiproc/detail/channel_ring.hpp"
#include "multiproc/detail/deadline.hpp"
#include "multiproc/errors.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail::channel {

/// Whether T travels as its own bytes (no codec call, no allocation).
template <class T>
inline constexpr bool travels_as_bytes =
    kind_of<std::remove_cv_t<T>>() == codec_kind::bitwise;

/// Puts one T into `r` (a ring, or a pipe end: anything with put(bytes,
/// deadline)), encoded in the caller or as its bytes.
template <class T, class Channel>
bool put_item(Channel& r, const T& item,
              const std::optional<steady_deadline>& d) {
  if constexpr (travels_as_bytes<T>) {
    return r.put(std::as_bytes(std::span<const T, 1>(&item, 1)), d);
  } else {
    require_transferable<std::remove_cv_t<T>>();
    const std::vector<std::byte> bytes = multiproc::encode(item);
    return r.put(bytes, d);
  }
}

/// Gets one T from `r` (anything with get(reader, context, deadline)):
/// empty when `d` passed. Bytes that do not decode throw codec_error, and
/// the item is consumed.
template <class T, class Channel>
std::optional<T> get_item(Channel& r, const std::optional<steady_deadline>& d) {
  if constexpr (travels_as_bytes<T>) {
    std::array<std::byte, sizeof(T)> bytes;
    const item_reader read = [](void* context,
                                std::span<const std::byte> item) {
      if (item.size() != sizeof(T)) {
        throw codec_error("multiproc: item of the wrong size");
      }
      std::memcpy(static_cast<std::byte*>(context), item.data(), sizeof(T));
    };
    if (!r.get(read, bytes.data(), d)) return std::nullopt;
    return std::bit_cast<T>(bytes);
  } else {
    // Decoded in place, in the slot; a decoding error is kept and thrown
    // after the item is released (the item is consumed, API.md).
    struct result {
      std::optional<T> value;
      std::exception_ptr error;
    } out;
    const item_reader read = [](void* context,
                                std::span<const std::byte> item) {
      auto& o = *static_cast<result*>(context);
      try {
        o.value.emplace(multiproc::decode<T>(item));
      } catch (...) {
        o.error = std::current_exception();
      }
    };
    if (!r.get(read, &out, d)) return std::nullopt;
    if (out.error) std::rethrow_exception(out.error);
    return std::move(out.value);
  }
}

}  // namespace multiproc::inline v0::detail::channel

#pragma GCC visibility pop
