// How a pool task crosses to a worker: the remote-call piece
// (detail/remote_call.hpp) and the entry functions that run a map's chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <vector>

#include "multiproc/codec.hpp"
#include "multiproc/detail/pool_engine.hpp"
#include "multiproc/detail/remote_call.hpp"
#include "multiproc/detail/task_checks.hpp"
#include "multiproc/future.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

// Which callables a pool can send to a worker, and the one message for
// each misuse: detail/task_checks.hpp (check_pool_task). How the callable
// is written and read, and the single-call trampoline (call_entry):
// detail/remote_call.hpp, shared with the other ways of running code
// elsewhere. Here: the trampolines of map's chunks, which only a pool runs.

static_assert(std::is_same_v<task_entry, remote_entry>,
              "a pool task's entry is a remote-call trampoline");

/// Writes a chunk's items the way chunk_entry reads them: a count, then
/// each item (so a chunk is encoded straight from the caller's items).
template <class Item, class Iterator>
void write_chunk(encoder& out, Iterator first, std::size_t count) {
  out.write_size(count);
  if constexpr (is_block_copyable<Item>() &&
                std::contiguous_iterator<Iterator> &&
                std::is_same_v<std::iter_value_t<Iterator>, Item>) {
    // A block-copyable item is encoded as its bytes: the same bytes as
    // item by item, in one copy.
    out.write_bytes(std::to_address(first), count * sizeof(Item));
  } else {
    for (std::size_t i = 0; i < count; ++i, ++first) {
      out.write(static_cast<const Item&>(*first));
    }
  }
}

/// Runs a chunk of a map: input = callable, count, items; output = vector
/// of results. With `Star`, each item is a tuple of arguments (starmap).
/// One item's exception fails the whole chunk, as in Python.
template <class F, class R, class Item, bool Star>
bool chunk_entry(std::span<const std::byte> input,
                 std::vector<std::byte>& output) noexcept {
  try {
    decoder in(input);
    F fn = read_callable<F>(in);
    const std::size_t count = in.read_size();
    std::vector<R> results;
    results.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
      Item item = in.read<Item>();
      if constexpr (Star) {
        results.push_back(std::apply(fn, std::move(item)));
      } else {
        results.push_back(std::invoke(fn, std::move(item)));
      }
    }
    output = encode(results);
    return true;
  } catch (...) {
    encode_task_failure(output);
    return false;
  }
}

/// Runs a chunk of map_outcomes/imap_outcomes: as chunk_entry, but every
/// item's outcome is kept apart, so one item's exception fails that item
/// only. Output: count, then per item a flag (1: value, 0: exception) and
/// the value, or the encoded exception as a size and that many bytes.
template <class F, class R, class Item, bool Star>
bool outcome_chunk_entry(std::span<const std::byte> input,
                         std::vector<std::byte>& output) noexcept {
  try {
    decoder in(input);
    F fn = read_callable<F>(in);
    const std::size_t count = in.read_size();
    encoder out;
    out.write_size(count);
    std::vector<std::byte> failure;
    for (std::size_t i = 0; i < count; ++i) {
      Item item = in.read<Item>();
      std::optional<R> value;
      try {
        if constexpr (Star) {
          value.emplace(std::apply(fn, std::move(item)));
        } else {
          value.emplace(std::invoke(fn, std::move(item)));
        }
      } catch (...) {
        encode_task_failure(failure);
      }
      if (value) {
        out.write(std::uint8_t{1});
        out.write(static_cast<const R&>(*value));
      } else {
        out.write(std::uint8_t{0});
        out.write_size(failure.size());
        out.write_bytes(failure.data(), failure.size());
      }
    }
    output = std::move(out).take_bytes();
    return true;
  } catch (...) {
    encode_task_failure(output);
    return false;
  }
}

/// The exception an item of outcome_chunk_entry failed with, from its
/// encoded bytes.
std::exception_ptr item_failure(std::span<const std::byte> encoded) noexcept;

/// The future_core of a pool task.
/// Errors (take): as future::get(); cancelled_error also after terminate().
std::unique_ptr<future_core> make_pool_future_core(
    std::shared_ptr<pool_engine> engine, std::shared_ptr<task_record> task);

/// Throws the error a finished, failed task stands for (the task's own
/// exception, process_died, timeout_error, cancelled_error).
/// Precondition: the task is finished with an outcome other than value.
[[noreturn]] void throw_task_failure(const task_record& task);
/// The exception throw_task_failure would throw, as an exception_ptr.
std::exception_ptr task_failure(const task_record& task) noexcept;

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
