// How a pool task crosses to a worker: which callables can, how the
// arguments are encoded, and the entry function that runs them there.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <vector>

#include "multiproc/codec.hpp"
#include "multiproc/detail/pool_engine.hpp"
#include "multiproc/detail/task_checks.hpp"
#include "multiproc/future.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::detail {

// Which callables a pool can send to a worker, and the one message for
// each misuse: detail/task_checks.hpp (check_pool_task).

template <class F>
void write_callable(encoder& out, F fn) {
  if constexpr (is_function_pointer<F>) {
    out.write(reinterpret_cast<std::uintptr_t>(fn));
  }
}

template <class F>
F read_callable(decoder& in) {
  if constexpr (is_function_pointer<F>) {
    return reinterpret_cast<F>(  // NOLINT(performance-no-int-to-ptr)
        in.read<std::uintptr_t>());
  } else {
    return F{};
  }
}

/// In a worker, inside a catch block: encodes the exception being handled
/// into `output`. multiproc::exit() in a task ends the worker instead (the
/// task then fails with process_died, as a crash would).
void encode_task_failure(std::vector<std::byte>& output) noexcept;

/// Runs one call: input = callable, tuple of arguments; output = result.
template <class F, class R, class ArgsTuple>
bool call_entry(std::span<const std::byte> input,
                std::vector<std::byte>& output) noexcept {
  try {
    decoder in(input);
    F fn = read_callable<F>(in);
    ArgsTuple args = in.read<ArgsTuple>();
    encoder out;
    if constexpr (std::is_void_v<R>) {
      std::apply(fn, std::move(args));
    } else {
      auto&& value = std::apply(fn, std::move(args));
      out.write(static_cast<const R&>(value));
    }
    output = std::move(out).take_bytes();
    return true;
  } catch (...) {
    encode_task_failure(output);
    return false;
  }
}

/// Writes a chunk's items the way chunk_entry reads them: a count, then
/// each item (so a chunk is encoded straight from the caller's items).
template <class Item, class Iterator>
void write_chunk(encoder& out, Iterator first, std::size_t count) {
  out.write_size(count);
  for (std::size_t i = 0; i < count; ++i, ++first) {
    out.write(static_cast<const Item&>(*first));
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

}  // namespace multiproc::detail

#pragma GCC visibility pop
