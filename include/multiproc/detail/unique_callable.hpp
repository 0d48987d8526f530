// A move-only, type-erased `void()` callable: std::function demands a
// copyable target, and a process target may capture move-only state
// (std::unique_ptr, a socket). C++23's std::move_only_function would do.
#pragma once

#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

namespace multiproc::detail {

class unique_callable {
 public:
  unique_callable() = default;

  /// Stores decayed copies of `fn` and `args`; invoking calls
  /// std::invoke(fn, args...) with the stored copies as lvalues, as Python's
  /// Process calls target(*args).
  template <class F, class... Args>
  static unique_callable bind(F&& fn, Args&&... args) {
    using holder_type =
        holder<std::decay_t<F>, std::tuple<std::decay_t<Args>...>>;
    unique_callable result;
    result.impl_ = std::make_unique<holder_type>(
        std::forward<F>(fn),
        std::tuple<std::decay_t<Args>...>(std::forward<Args>(args)...));
    return result;
  }

  explicit operator bool() const noexcept { return impl_ != nullptr; }
  void operator()() { impl_->invoke(); }
  void reset() noexcept { impl_.reset(); }

 private:
  struct base {
    virtual ~base() = default;
    virtual void invoke() = 0;
  };
  template <class F, class Tuple>
  struct holder final : base {
    holder(F&& f, Tuple&& a) : fn(std::move(f)), args(std::move(a)) {}
    holder(const F& f, Tuple&& a) : fn(f), args(std::move(a)) {}
    void invoke() override {
      std::apply([this](auto&... unpacked) { std::invoke(fn, unpacked...); },
                 args);
    }
    F fn;
    Tuple args;
  };

  std::unique_ptr<base> impl_;
};

}  // namespace multiproc::detail
