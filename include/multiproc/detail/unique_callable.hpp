// A move-only, type-erased `void()` callable: std::function demands a
// copyable target, and a process target may capture move-only state
// (std::unique_ptr, a socket). C++23's std::move_only_function would do.
//
// Small callables (a function pointer and a few arguments, a lambda with a
// few captures) live inside the object, not on the heap: freeing heap
// memory right after fork() costs the parent a copy-on-write fault while
// the child still shares the page.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <new>
#include <tuple>
#include <type_traits>
#include <utility>

#include "multiproc/detail/portable_call.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

class unique_callable {
 public:
  unique_callable() noexcept = default;
  unique_callable(unique_callable&& other) noexcept { take(other); }
  unique_callable& operator=(unique_callable&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  unique_callable(const unique_callable&) = delete;
  unique_callable& operator=(const unique_callable&) = delete;
  ~unique_callable() { reset(); }

  /// Stores decayed copies of `fn` and `args`; invoking calls
  /// std::invoke(fn, args...) with the stored copies as lvalues, as Python's
  /// Process calls target(*args).
  template <class F, class... Args>
  static unique_callable bind(F&& fn, Args&&... args) {
    using holder_type =
        holder<std::decay_t<F>, std::tuple<std::decay_t<Args>...>>;
    unique_callable result;
    if constexpr (fits_inline<holder_type>) {
      result.impl_ = ::new (static_cast<void*>(result.buffer_)) holder_type(
          std::forward<F>(fn),
          std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...));
      result.inline_ = true;
    } else {
      result.impl_ = new holder_type(
          std::forward<F>(fn),
          std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...));
    }
    return result;
  }

  explicit operator bool() const noexcept { return impl_ != nullptr; }
  void operator()() { impl_->invoke(); }
  /// The stored target in its sendable form (detail/portable_call.hpp),
  /// its arguments written to `arguments`; false, and both untouched, when
  /// it cannot travel (captures, a std::function, an argument the codec
  /// refuses) or when empty.
  /// Errors: as encode_portable_call.
  bool encode_portable(portable_call& out, encoder& arguments) const {
    return impl_ != nullptr && impl_->encode_portable(out, arguments);
  }
  void reset() noexcept {
    if (impl_ == nullptr) return;
    if (inline_) {
      impl_->~base();
    } else {
      delete impl_;
    }
    impl_ = nullptr;
    inline_ = false;
  }

 private:
  static constexpr std::size_t kInlineSize = 64;

  struct base {
    virtual ~base() = default;
    virtual void invoke() = 0;
    /// Move-constructs this holder into `buffer` (inline holders only).
    virtual base* move_into(void* buffer) noexcept = 0;
    virtual bool encode_portable(portable_call& out,
                                 encoder& arguments) const = 0;
  };
  template <class F, class Tuple>
  struct holder final : base {
    template <class G>
    holder(G&& f, Tuple&& a) : fn(std::forward<G>(f)), args(std::move(a)) {}
    void invoke() override {
      std::apply([this](auto&... unpacked) { std::invoke(fn, unpacked...); },
                 args);
    }
    base* move_into(void* buffer) noexcept override {
      if constexpr (std::is_nothrow_move_constructible_v<F> &&
                    std::is_nothrow_move_constructible_v<Tuple>) {
        return ::new (buffer) holder(std::move(fn), std::move(args));
      } else {
        return nullptr;  // never inline (see fits_inline)
      }
    }
    bool encode_portable(portable_call& out,
                         encoder& arguments) const override {
      if constexpr (is_portable_target<F, Tuple>) {
        encode_portable_call(fn, args, out, arguments);
        return true;
      } else {
        (void)out;
        (void)arguments;
        return false;
      }
    }
    F fn;
    Tuple args;
  };

  template <class Holder>
  static constexpr bool fits_inline =
      sizeof(Holder) <= kInlineSize &&
      alignof(Holder) <= alignof(std::max_align_t) &&
      std::is_nothrow_move_constructible_v<Holder>;

  void take(unique_callable& other) noexcept {
    if (other.impl_ == nullptr) return;
    if (other.inline_) {
      impl_ = other.impl_->move_into(buffer_);
      inline_ = true;
      other.reset();
    } else {
      impl_ = std::exchange(other.impl_, nullptr);
    }
  }

  alignas(std::max_align_t) unsigned char buffer_[kInlineSize];
  base* impl_ = nullptr;
  bool inline_ = false;
};

}  // namespace multiproc::inline v0::detail

#pragma GCC visibility pop
