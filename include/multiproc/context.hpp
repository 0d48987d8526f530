// multiproc/context.hpp — Python's multiprocessing.get_context(method): a
// start method as a value, whose factories accept only targets that run
// under every method (checked at compile time).
//
//   namespace mp = multiproc;
//   const mp::context ctx = mp::get_context(mp::start_method::spawn);
//   mp::process p = ctx.process(crunch, 42);   // SpawnProcess-1
//   p.start();
//   p.join();
//
//   auto f = ctx.async(square, 7);             // a SpawnProcess child
//   mp::pool p = ctx.pool({.processes = 2});   // spawned workers
#pragma once

#include <concepts>
#include <type_traits>
#include <utility>

#include "multiproc/async.hpp"
#include "multiproc/pool.hpp"
#include "multiproc/process.hpp"
#include "multiproc/start_method.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

namespace detail {
/// Names a context's process as Python's ctx.Process does: ForkProcess-N,
/// SpawnProcess-N (the same counter as Process-N).
void name_for_context(process& self, start_method method);

template <class F, class... Args>
constexpr bool check_context_target() {
  using target = std::decay_t<F>;
  if constexpr (!is_function_pointer<target> &&
                !is_stateless_callable<target>) {
    static_assert(dependent_false<F>,
                  "multiproc::context: captures cannot be sent to another "
                  "process: pass the values as arguments (a function "
                  "pointer, a captureless lambda or an empty function "
                  "object, with arguments multiproc::codec can transfer)");
    return false;
  } else if constexpr (!(transferable<std::decay_t<Args>> && ...)) {
    (require_transferable<std::decay_t<Args>>(), ...);
    return false;
  } else {
    return true;
  }
}
}  // namespace detail

/// A start method as a value: cheap to copy. Its factories accept only
/// portable targets (static_assert), so code written against a context
/// runs under every method.
/// Python: the context objects of multiprocessing.get_context().
class context {
 public:
  /// Python: get_context(method). Errors: none.
  explicit context(multiproc::start_method method) noexcept : method_(method) {}
  /// Python: ctx.get_start_method(). Errors: none.
  multiproc::start_method start_method() const noexcept { return method_; }

  /// An unstarted process of this method, named ForkProcess-N or
  /// SpawnProcess-N unless options.name says otherwise; options'
  /// start_method is replaced by the context's.
  /// Python: ctx.Process(target=fn, args=(...)).
  /// Errors: as process's constructor.
  template <class F, class... Args>
  multiproc::process process(F&& target, Args&&... args) const {
    return process(process_options{}, std::forward<F>(target),
                   std::forward<Args>(args)...);
  }
  template <class F, class... Args>
  multiproc::process process(process_options options, F&& target,
                             Args&&... args) const {
    static_assert(detail::check_context_target<F, Args...>());
    const bool named = !options.name.empty();
    options.start_method = method_;
    multiproc::process made(std::move(options), std::forward<F>(target),
                            std::forward<Args>(args)...);
    if (!named) detail::name_for_context(made, method_);
    return made;
  }

  /// multiproc::async under this context's method (options' start_method
  /// is replaced by it); fn and args must be portable (static_assert).
  /// Python: ctx-based ProcessPoolExecutor(mp_context=ctx).submit(fn, ...).
  /// Errors: as multiproc::async.
  template <class F, class... Args>
  requires(!std::same_as<std::remove_cvref_t<F>, async_options>)
      future<async_result_t<F, Args...>> async(F&& fn, Args&&... args)
  const {
    return async(async_options{}, std::forward<F>(fn),
                 std::forward<Args>(args)...);
  }
  template <class F, class... Args>
  future<async_result_t<F, Args...>> async(async_options options, F&& fn,
                                           Args&&... args) const {
    if constexpr (!detail::check_context_target<F, Args...>()) {
      return {};  // one static_assert has said why
    } else {
      options.start_method = method_;
      return multiproc::async(std::move(options), std::forward<F>(fn),
                              std::forward<Args>(args)...);
    }
  }

  /// async(...).get() under this context's method.
  /// Python: ProcessPoolExecutor(mp_context=ctx).submit(fn, ...).result().
  /// Errors: as multiproc::call.
  template <class F, class... Args>
  requires(!std::same_as<std::remove_cvref_t<F>, async_options>)
      async_result_t<F, Args...> call(F&& fn, Args&&... args)
  const {
    return async(async_options{}, std::forward<F>(fn),
                 std::forward<Args>(args)...)
        .get();
  }
  template <class F, class... Args>
  async_result_t<F, Args...> call(async_options options, F&& fn,
                                  Args&&... args) const {
    return async(std::move(options), std::forward<F>(fn),
                 std::forward<Args>(args)...)
        .get();
  }

  /// A pool whose workers, initial and replacements, come from this
  /// context's method (options' start_method is replaced by it). Its tasks
  /// are portable by the pool's own compile-time check; its initializer is
  /// checked at construction (a pool's type does not carry its method).
  /// Python: ctx.Pool(...).
  /// Errors: as pool's constructor (usage_error for an initializer that is
  /// not portable under spawn).
  multiproc::pool pool(pool_options options = {}) const {
    options.start_method = method_;
    return multiproc::pool(std::move(options));
  }

 private:
  multiproc::start_method method_;
};

/// Python: multiprocessing.get_context(): the default method's context.
/// Like set_start_method, the guard of a spawned copy of the program.
/// Errors: none of its own.
context get_context();
/// Python: multiprocessing.get_context(method). forkserver: starts this
/// process's forkserver if it is not running, without waiting for it.
/// Errors: none of its own (a forkserver that cannot start makes the
/// first start throw).
context get_context(start_method method);

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
