// multiproc/codec.hpp — how values cross from a child process to its parent.
//
// Arguments reach a child by fork and need no encoding; results come back as
// bytes. The codec turns a value into bytes in the child and back into a
// value in the parent. Both sides are the same program (a fork), so numbers,
// enums and trivially copyable structs travel as their raw bytes; owning
// standard types travel element by element:
//
//   arithmetic and enum types, trivially copyable structs and unions,
//   std::string (any basic_string), std::vector, std::deque, std::list,
//   std::array, std::optional, std::pair, std::tuple, std::variant,
//   std::monostate, std::map, std::multimap, std::unordered_map,
//   std::unordered_multimap, std::set, std::multiset, std::unordered_set,
//   std::unordered_multiset — nested freely.
//
// Your own types, most of the time with no code at all:
//
//   struct sample {                       // an aggregate: nothing to write
//     std::string name;
//     std::vector<double> values;
//     std::optional<sample_meta> meta;    // nested aggregates too
//   };
//
//   class account {                       // private state: list it
//    public:
//     account() = default;                // needed: the parent makes one
//     ...
//    private:
//     std::string owner_;
//     long cents_ = 0;
//     MULTIPROC_CODEC_FRIEND_FIELDS(account, owner_, cents_);
//   };
//
//   MULTIPROC_CODEC_FIELDS(point, x, y, label);  // namespace scope, public
//                                                // members (point's namespace)
//
// Which codec serves a class of yours, first match wins (and why):
//
//   1. a multiproc::codec<T> specialization — the most explicit, full
//      control;
//   2. MULTIPROC_CODEC_FIELDS / MULTIPROC_CODEC_FRIEND_FIELDS — written for
//      multiproc, so it beats a serializer the type carries for other uses;
//   3. cereal, when installed and not disabled: a `serialize` (or
//      `save`/`load`) function, through cereal's binary archive;
//   4. raw bytes, for a trivially copyable type — the fast path, as before;
//   5. an aggregate (public members, no constructors), taken apart member
//      by member with structured bindings, each member through its own
//      codec. Up to 24 members; past that, or with a C array member, the
//      compiler says to use MULTIPROC_CODEC_FIELDS (up to 32 members).
//      An aggregate with a reference or pointer member is refused, naming
//      it. A type that contains itself (a tree) must be described (2).
//
// The explicit customization point:
//
//   struct money { std::string currency; long cents; };
//
//   template <>
//   struct multiproc::codec<money> {
//     static void encode(multiproc::encoder& out, const money& m) {
//       out.write(m.currency);
//       out.write(m.cents);
//     }
//     static money decode(multiproc::decoder& in) {
//       auto currency = in.read<std::string>();   // read in the order written
//       auto cents = in.read<long>();
//       return {std::move(currency), cents};
//     }
//   };
//
// A type that cannot be transferred (a raw pointer, std::string_view,
// std::span, std::unique_ptr, a class with private state and no codec or
// description) is a compile-time error whose message says what to do.
//
// Trivially copyable structs are copied byte for byte, without looking at
// their members (the fast path predates member inspection, and C arrays and
// base classes defeat it): a pointer member of a trivially copyable struct
// would arrive as an address that means nothing in the parent. Give such a
// struct a codec or a description, or hold owning types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <vector>

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// Thrown by decoder when the bytes do not hold what is being read (a
/// user codec that reads differently from how it wrote, say).
/// Python: pickle.UnpicklingError.
class codec_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Appends the bytes of values. Writes go to a memory buffer; when the
/// library attaches a sink (the result channel of a child), large blocks go
/// straight to it without a copy.
/// Python: pickle.Pickler writing to an io.BytesIO.
/// Thread safety: one thread at a time.
class encoder {
 public:
  /// Receives blocks of bytes in order. Errors: throws what it likes.
  using sink_function = void (*)(void* context, const void* data,
                                 std::size_t size);

  /// An encoder that buffers everything. Python: pickle.Pickler(io.BytesIO()).
  encoder() = default;
  /// An encoder that sends blocks of at least `direct_threshold` bytes to
  /// `sink` without copying them, and the rest buffered (flush() sends the
  /// buffer). Python: pickle.Pickler(file).
  encoder(sink_function sink, void* context,
          std::size_t direct_threshold = std::size_t{64} * 1024) noexcept
      : sink_(sink), sink_context_(context), threshold_(direct_threshold) {}

  /// Appends `size` raw bytes. Python: file.write(data).
  /// Errors: std::bad_alloc; what the sink throws.
  void write_bytes(const void* data, std::size_t size) {
    // Inline for the codec's common case, a few bytes into a buffer with
    // room: a call per item was most of a chunked map's encoding time.
    if (sink_ == nullptr && size <= buffer_.capacity() - buffer_.size()) {
      const auto* bytes = static_cast<const std::byte*>(data);
      buffer_.insert(buffer_.end(), bytes, bytes + size);
      return;
    }
    write_bytes_slowly(data, size);
  }
  /// Appends zero bytes until size() is a multiple of `alignment`, so that
  /// a decoder reading from suitably aligned memory finds the next block
  /// aligned for direct use. Python: no equivalent.
  /// Errors: std::bad_alloc.
  void align(std::size_t alignment);
  /// Appends a size or count (as 64 bits). Python: no equivalent.
  /// Errors: as write_bytes().
  void write_size(std::size_t size);
  /// Appends `value` through codec<T>. A T that cannot be transferred is a
  /// compile-time error. Python: Pickler.dump(value).
  /// Errors: std::bad_alloc; what the sink or a user codec throws.
  template <class T>
  void write(const T& value);

  /// Number of bytes written so far (sent to the sink or buffered).
  /// Python: BytesIO.tell().
  std::size_t size() const noexcept { return sent_ + buffer_.size(); }
  /// The buffered bytes (all of them when there is no sink).
  /// Python: BytesIO.getbuffer().
  std::span<const std::byte> buffered() const noexcept { return buffer_; }
  /// Moves the buffered bytes out. Python: BytesIO.getvalue().
  /// Errors: none.
  std::vector<std::byte> take_bytes() && { return std::move(buffer_); }
  /// Sends the buffered bytes to the sink (no-op without one).
  /// Python: file.flush().
  /// Errors: what the sink throws.
  void flush();

 private:
  void write_bytes_slowly(const void* data, std::size_t size);

  std::vector<std::byte> buffer_;
  std::size_t sent_ = 0;
  sink_function sink_ = nullptr;
  void* sink_context_ = nullptr;
  std::size_t threshold_ = 0;
};

/// Reads values back from bytes an encoder produced. Does not own them.
/// Python: pickle.Unpickler reading from an io.BytesIO.
/// Errors: every read throws codec_error("multiproc: not enough bytes to
/// decode the value") when fewer bytes remain than it needs.
/// Thread safety: one thread at a time.
class decoder {
 public:
  /// Reads `data` from its start; `data` must outlive the decoder.
  /// Python: pickle.Unpickler(io.BytesIO(data)).
  explicit decoder(std::span<const std::byte> data) noexcept : data_(data) {}

  /// Copies the next `size` bytes to `out`. Python: file.read(size).
  /// Errors: codec_error when fewer remain.
  void read_bytes(void* out, std::size_t size) {
    if (size == 0) return;  // `out` may be null then
    std::memcpy(out, read_view(size).data(), size);
  }
  /// The next `size` bytes, in place (valid as long as the input is).
  /// Python: memoryview slicing.
  /// Errors: codec_error when fewer remain.
  std::span<const std::byte> read_view(std::size_t size) {
    // Inline, as encoder::write_bytes: it runs once per decoded item.
    if (size > remaining()) throw_short_input();
    std::span<const std::byte> bytes = data_.subspan(position_, size);
    position_ += size;
    return bytes;
  }
  /// Skips what encoder::align wrote. Python: no equivalent.
  /// Errors: codec_error when the padding is missing.
  void align(std::size_t alignment);
  /// Reads what encoder::write_size wrote. Also checks that at least
  /// `count * min_element_size` bytes remain, so that corrupt input cannot
  /// make a container reserve absurd amounts of memory.
  /// Python: no equivalent.
  /// Errors: codec_error("multiproc: not enough bytes to decode the value")
  /// when the count is short or claims more elements than bytes remain.
  std::size_t read_size(std::size_t min_element_size = 0);
  /// Reads a T through codec<T>. A T that cannot be transferred is a
  /// compile-time error. Python: Unpickler.load().
  /// Errors: codec_error on short input; std::bad_alloc; what a user codec
  /// throws.
  template <class T>
  T read();

  /// The bytes not read yet, without consuming them.
  /// Python: BytesIO.getbuffer()[BytesIO.tell():].
  std::span<const std::byte> rest() const noexcept {
    return data_.subspan(position_);
  }
  /// How many bytes are left, and how many have been read.
  /// Python: len(data) - BytesIO.tell(), BytesIO.tell().
  std::size_t remaining() const noexcept { return data_.size() - position_; }
  std::size_t position() const noexcept { return position_; }

 private:
  [[noreturn]] static void throw_short_input();

  std::span<const std::byte> data_;
  std::size_t position_ = 0;
};

/// The customization point. Specialize it (fully, or partially through the
/// second parameter) for a type of yours with:
///
///   static void encode(multiproc::encoder& out, const T& value);
///   static T decode(multiproc::decoder& in);
///
/// decode must read exactly what encode wrote. Both run in the same
/// program (the child is a fork of the parent). The primary template is the
/// library's own codec for the types listed at the top of this file.
/// Python: __reduce__ / copyreg.pickle (how a class tells pickle to
/// save and rebuild it).
template <class T, class Enable = void>
struct codec;

}  // namespace multiproc::inline v0

#include "multiproc/detail/codec_builtin.hpp"

namespace multiproc::inline v0 {

/// The library's codec (see the declaration above).
/// Python: pickle's own reducers for the built-in types.
template <class T, class Enable>
struct codec {
  /// Marks the library's codec (user specializations lack it).
  using multiproc_builtin_codec = void;
  /// Writes `value`, and reads one back, through the built-in codec.
  /// Python: Pickler.dump() / Unpickler.load().
  /// Errors: as encoder::write() / decoder::read().
  static void encode(encoder& out, const T& value) {
    detail::builtin_codec<T>::encode(out, value);
  }
  static T decode(decoder& in) { return detail::builtin_codec<T>::decode(in); }
};

/// True when values of T can travel from a child to its parent: T has a
/// codec specialization, or the built-in codec supports it (recursively).
template <class T>
concept transferable = detail::is_transferable<std::remove_cv_t<T>>();

template <class T>
void encoder::write(const T& value) {
  detail::require_transferable<std::remove_cv_t<T>>();
  codec<std::remove_cv_t<T>>::encode(*this, value);
}

template <class T>
T decoder::read() {
  detail::require_transferable<std::remove_cv_t<T>>();
  return codec<std::remove_cv_t<T>>::decode(*this);
}

/// Encodes `value` into a byte vector (no sink). Python: pickle.dumps().
/// Errors: std::bad_alloc; what a user codec throws.
template <class T>
std::vector<std::byte> encode(const T& value) {
  encoder out;
  out.write(value);
  return std::move(out).take_bytes();
}

/// Decodes a T from `bytes`. Python: pickle.loads().
/// Errors: codec_error("multiproc: not enough bytes to decode the value")
/// when the bytes are short; codec_error("multiproc: bytes left over after
/// decoding") when some are not read; what a user codec throws.
template <class T>
T decode(std::span<const std::byte> bytes) {
  decoder in(bytes);
  T value = in.read<T>();
  if (in.remaining() != 0) {
    throw codec_error("multiproc: bytes left over after decoding");
  }
  return value;
}

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
