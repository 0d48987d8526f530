// Compile-time checks of a task's signature for mp::async, mp::call and
// the pool's submit/apply/map/starmap/imap: every misuse gets one
// static_assert that says what is wrong, and nothing else (issue 9: an
// `int&` parameter used to give dozens of lines about invoke_result, and a
// std::unique_ptr argument a message about return values).
//
// How only one message appears: the entry points' return types never
// depend on the call being valid (task_result_t falls back to
// invalid_task_result), and each entry point runs its body only
// `if constexpr (check_task<...>())`, so after the one static_assert there
// is nothing left to fail.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "multiproc/codec.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail {

/// Stands for the result of a task that cannot be called, after a
/// static_assert has said why. It converts to anything, so that the
/// caller's own code (`int n = pool.apply(...)`) adds no second error. Never
/// exists in a program that compiles.
struct invalid_task_result {
  template <class T>
  operator T() const;  // never defined: the program is already ill-formed
};

/// The type a task returns when invoked as `Fn` with `Args` (both as
/// passed, e.g. F& and int&&), without reference or cv qualifiers; when it
/// cannot be invoked so, invalid_task_result.
template <class Fn, class... Args>
struct task_result {
  using type = invalid_task_result;
};
template <class Fn, class... Args>
requires std::is_invocable_v<Fn, Args...>
struct task_result<Fn, Args...> {
  using type = std::remove_cvref_t<std::invoke_result_t<Fn, Args...>>;
};
template <class Fn, class... Args>
using task_result_t = typename task_result<Fn, Args...>::type;

// --- The parameter list, when it can be known -------------------------------

template <class... Params>
struct parameter_list {};

/// The parameters of a function pointer or of a class with a single,
/// non-template operator(); `known` is false otherwise (a generic lambda,
/// an overload set).
template <class F>
struct signature_of {
  static constexpr bool known = false;
};
template <class R, class... P>
struct signature_of<R (*)(P...)> {
  static constexpr bool known = true;
  using params = parameter_list<P...>;
};
template <class R, class... P>
struct signature_of<R (*)(P...) noexcept> : signature_of<R (*)(P...)> {};
template <class R, class C, class... P>
struct signature_of<R (C::*)(P...)> : signature_of<R (*)(P...)> {};
template <class R, class C, class... P>
struct signature_of<R (C::*)(P...) const> : signature_of<R (*)(P...)> {};
template <class R, class C, class... P>
struct signature_of<R (C::*)(P...) noexcept> : signature_of<R (*)(P...)> {};
template <class R, class C, class... P>
struct signature_of<R (C::*)(P...) const noexcept> : signature_of<R (*)(P...)> {
};

template <class F>
consteval auto signature_of_callable() {
  if constexpr (std::is_class_v<F> && requires { &F::operator(); }) {
    return signature_of<decltype(&F::operator())>{};
  } else {
    return signature_of<F>{};
  }
}

template <class P>
inline constexpr bool is_mutable_lvalue_reference =
    std::is_lvalue_reference_v<P> &&
    !std::is_const_v<std::remove_reference_t<P>>;

template <class... P>
consteval bool any_mutable_lvalue_reference(parameter_list<P...>) {
  return (is_mutable_lvalue_reference<P> || ...);
}

/// For a task that cannot be called with the rvalues the library passes:
/// true when that is because a parameter is a non-const lvalue reference,
/// visible in the signature when F has one, else seen as "callable with
/// lvalues". (A task that can be called, say with a std::reference_wrapper
/// for an int& parameter in mp::async, is left alone.)
template <class F, class... Args>
consteval bool takes_mutable_reference() {
  using signature = decltype(signature_of_callable<F>());
  if constexpr (signature::known) {
    if (any_mutable_lvalue_reference(typename signature::params{})) {
      return true;
    }
  }
  return !std::is_invocable_v<F&, Args&&...> &&
         std::is_invocable_v<F&, Args&...>;
}

// --- The checks --------------------------------------------------------------

template <class... Args>
struct first_untransferable {
  using type = void;
};
template <class A, class... Rest>
struct first_untransferable<A, Rest...> {
  using type =
      std::conditional_t<transferable<A>,
                         typename first_untransferable<Rest...>::type, A>;
};

/// Refuses a pool task's argument type, named in the notes as 'Arg'.
template <class Arg>
constexpr void refuse_pool_argument() {
  if constexpr (holds_handle<Arg>()) {
    // A handle nested in an argument (or a map item that is one): the
    // codec's own diagnostic says what to do instead.
    require_transferable<Arg>();
    return;
  }
  static_assert(holds_handle<Arg>() || dependent_false<Arg>,
                "multiproc::pool: an argument of this type (see 'Arg = ...' "
                "above) cannot be sent to a worker: a task's arguments "
                "travel through multiproc::codec. Pass a value it can carry "
                "(not a pointer, smart pointer, std::string_view or "
                "std::span; your struct an aggregate, described with "
                "MULTIPROC_CODEC_FIELDS, or with a codec), or use "
                "multiproc::async, whose child gets its arguments by fork.");
}

template <class F>
inline constexpr bool is_function_pointer =
    std::is_pointer_v<F>&& std::is_function_v<std::remove_pointer_t<F>>;
template <class F>
inline constexpr bool is_stateless_callable = std::is_class_v<F>&&
    std::is_empty_v<F>&& std::is_default_constructible_v<F>;

/// The one check of a pool task: F (decayed) called as an lvalue with
/// rvalue Args (decayed), arguments encoded, result decoded. Fails one
/// static_assert, the first that applies, and returns whether all passed.
template <class F, class... Args>
constexpr bool check_pool_task() {
  using result = task_result_t<F&, Args&&...>;
  if constexpr (!is_function_pointer<F> && !is_stateless_callable<F>) {
    static_assert(
        dependent_false<F>,
        "multiproc::pool: a task must be a function pointer, a captureless "
        "lambda or an empty, default-constructible function-object type. "
        "Captures do not travel to a worker: pass the values as arguments "
        "(they go through multiproc::codec), or use multiproc::async, whose "
        "child is forked for the call and sees every capture.");
    return false;
  } else if constexpr (!std::is_invocable_v<F&, Args&&...> &&
                       takes_mutable_reference<F, Args...>()) {
    static_assert(dependent_false<F>,
                  "multiproc::pool: the task (see 'F = ...' above) takes a "
                  "non-const lvalue reference: arguments are copied to the "
                  "worker, so a change would never reach the caller; take it "
                  "by value or const&, and return what changed.");
    return false;
  } else if constexpr (!std::is_invocable_v<F&, Args&&...>) {
    static_assert(dependent_false<F>,
                  "multiproc::pool: the task (see 'F = ...' above) is not "
                  "invocable with these arguments (see 'Args = ...'): check "
                  "their number and types.");
    return false;
  } else if constexpr (!std::is_void_v<
                           typename first_untransferable<Args...>::type>) {
    refuse_pool_argument<typename first_untransferable<Args...>::type>();
    return false;
  } else if constexpr (!std::is_void_v<result> && !transferable<result>) {
    require_transferable<result>();  // says which (nested) type and why
    return false;
  } else {
    return true;
  }
}

/// As check_pool_task, with the arguments the elements of Tuple (starmap).
template <class F, class Tuple>
constexpr bool check_pool_star_task() {
  if constexpr (requires { std::tuple_size<Tuple>::value; }) {
    return []<std::size_t... I>(std::index_sequence<I...>) {
      return check_pool_task<F, std::tuple_element_t<I, Tuple>...>();
    }
    (std::make_index_sequence<std::tuple_size_v<Tuple>>());
  } else {
    static_assert(dependent_false<Tuple>,
                  "multiproc::pool::starmap: each item must be a std::tuple, "
                  "std::pair or std::array of the task's arguments (see "
                  "'Tuple = ...' above).");
    return false;
  }
}

/// The one check of mp::async / mp::call: F (decayed) called as an rvalue
/// with rvalue Args (decayed), as std::async does. Arguments reach the
/// child by fork, so any movable argument is fine; the result is decoded.
template <class F, class... Args>
constexpr bool check_async_task() {
  using result = task_result_t<F&&, Args&&...>;
  if constexpr (!std::is_invocable_v<F&&, Args&&...> &&
                takes_mutable_reference<F, Args...>()) {
    static_assert(dependent_false<F>,
                  "multiproc::async: the function (see 'F = ...' above) "
                  "takes a non-const lvalue reference: arguments are copied "
                  "to the child, so a change would never reach the caller; "
                  "take it by value or const&, and return what changed.");
    return false;
  } else if constexpr (!std::is_invocable_v<F&&, Args&&...>) {
    static_assert(dependent_false<F>,
                  "multiproc::async: the function (see 'F = ...' above) is "
                  "not invocable with these arguments (see 'Args = ...'): "
                  "check their number and types.");
    return false;
  } else if constexpr (!std::is_void_v<result> && !transferable<result>) {
    require_transferable<result>();  // says which (nested) type and why
    return false;
  } else {
    return true;
  }
}

}  // namespace multiproc::inline v0::detail

/// Lets a future of invalid_task_result be used without a second error
/// (see above); never runs.
template <>
struct multiproc::codec<multiproc::detail::invalid_task_result> {
  static void encode(encoder&, const detail::invalid_task_result&) {}
  static detail::invalid_task_result decode(decoder&) { return {}; }
};

#pragma GCC visibility pop
