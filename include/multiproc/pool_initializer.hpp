// multiproc/pool_initializer.hpp — what pool_options::initializer holds:
// Python's Pool(initializer, initargs) as one value.
//
//   void open_db(std::string path);                  // runs in each worker
//   mp::pool p({.initializer = {open_db, "/tmp/db"}});  // fn + its args
//   mp::pool q({.initializer = [&] { warm(cache); }});  // fork only
//
// Why a type of its own rather than std::function<void()>: a worker that
// is not a fork of its pool (spawn, forkserver; multiproc/start_method.hpp)
// gets the initializer as the name of its code and its encoded arguments,
// so the type must know whether its target can be named and its arguments
// encoded (is_portable()). A std::function's target is hidden, so one
// stored here never is.
#pragma once

#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

#include "multiproc/detail/portable_call.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

/// fn(args...) to run once in each pool worker before its first task.
/// Converts implicitly from a callable, so `.initializer = [&] {...}` and
/// `.initializer = {load, path}` both work. Cheap to copy (copies share
/// the stored fn and args).
/// Python: Pool(initializer=fn, initargs=args).
class pool_initializer {
 public:
  /// None: workers start with their first task.
  /// Python: initializer=None. Errors: none.
  pool_initializer() noexcept = default;

  /// Stores copies of fn and args; each worker calls fn(args...) on its
  /// own copies, as lvalues. An empty std::function or a null function
  /// pointer counts as none.
  /// Python: initializer=fn, initargs=args.
  /// Errors: std::bad_alloc; whatever copying fn and args throws.
  template <class F, class... Args>
  requires(!std::same_as<F, pool_initializer> && std::invocable<F&, Args&...>)
      pool_initializer(F fn,
                       Args... args) {  // NOLINT(google-explicit-constructor)
    // A null function pointer or an empty std::function holds nothing. (A
    // captureless lambda converts to bool too, always true: not asked.)
    if constexpr (std::is_pointer_v<F>) {
      if (fn == nullptr) return;
    } else if constexpr (!std::is_empty_v<F> &&
                         std::is_constructible_v<bool, const F&>) {
      if (!static_cast<bool>(fn)) return;
    }
    impl_ = std::make_shared<holder<F, std::tuple<Args...>>>(
        std::move(fn), std::tuple<Args...>(std::move(args)...));
  }

  /// True when there is something to run.
  /// Python: `initializer is not None`. Errors: none.
  explicit operator bool() const noexcept { return impl_ != nullptr; }

  /// True when it may run under every start method: fn is a function
  /// pointer, a captureless lambda or an empty function object, and every
  /// argument travels through multiproc::codec (the `portable` concept of
  /// multiproc/start_method.hpp). False for none.
  /// Python: whether the initializer and initargs pickle. Errors: none.
  bool is_portable() const noexcept { return impl_ && impl_->portable(); }

  /// Runs fn(args...) in this process (a fork worker does so on its copy).
  /// Not to be called from two threads at once: fn gets the stored
  /// arguments as lvalues. Does nothing when empty.
  /// Python: initializer(*initargs) in the worker.
  /// Errors: what fn throws.
  void operator()() const {
    if (impl_) impl_->run();
  }

  /// The portable form (detail/portable_call.hpp), for a worker that
  /// shares no memory with its pool; false, `out` untouched, when it is
  /// not portable or is empty.
  /// Python: pickling initializer and initargs.
  /// Errors: usage_error when fn's code cannot be named; codec errors from
  /// the arguments; std::bad_alloc.
  bool encode_portable(detail::portable_call& out) const {
    return impl_ && impl_->encode_portable(out);
  }

 private:
  struct base {
    virtual ~base() = default;
    virtual void run() = 0;
    virtual bool portable() const noexcept = 0;
    virtual bool encode_portable(detail::portable_call& out) const = 0;
  };
  template <class F, class Tuple>
  struct holder final : base {
    holder(F&& f, Tuple&& a) : fn(std::move(f)), args(std::move(a)) {}
    void run() override {
      std::apply([this](auto&... unpacked) { std::invoke(fn, unpacked...); },
                 args);
    }
    bool portable() const noexcept override {
      return detail::is_portable_target<F, Tuple>;
    }
    bool encode_portable(detail::portable_call& out) const override {
      if constexpr (detail::is_portable_target<F, Tuple>) {
        detail::encode_portable_call(fn, args, out);
        return true;
      } else {
        (void)out;
        return false;
      }
    }
    F fn;
    Tuple args;
  };

  std::shared_ptr<base> impl_;
};

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
