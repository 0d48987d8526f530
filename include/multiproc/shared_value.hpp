// multiproc/shared_value.hpp — one T, or an array of T, in memory every
// process of the program shares (API.md Part 4, Python's sharedctypes).
//
//   mp::value<long> hits;                     // Value('l', 0), with an RLock
//   mp::process child([hits]() mutable {
//     std::lock_guard g(hits);                // with hits.get_lock():
//     ++hits.get_obj();                       //   hits.value += 1
//   });
//   child.start(); child.join();
//   long n = hits.load();                     // hits.value
//
// Handles, like the locks of synchronize.hpp: copies (in this process or
// in fork children) refer to the same object; created before start(),
// async() or the pool, they reach children by inheritance. T is trivially
// copyable and not pointer-like (a pointer means nothing in another
// process), checked at compile time. Each object is a cell of the shared
// arena: no file descriptor or mapping of its own.
//
// load()/store() take the lock once each, so v.store(v.load() + 1) is not
// atomic — as Python's `v.value += 1` (P11); hold the lock for a
// read-modify-write. A holder of the lock that ended makes load()/store()
// take it over (never a hang, P1); acquire through the value to learn of
// it (owner_died()).
#pragma once

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <new>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "multiproc/detail/sync_acquire.hpp"
#include "multiproc/detail/sync_cell.hpp"
#include "multiproc/detail/sync_handle_traits.hpp"
#include "multiproc/errors.hpp"
#include "multiproc/synchronize.hpp"

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0 {

namespace detail::sync {

/// Compile-time check that T may be the element of a value or array (not a
/// handle, trivially copyable, not a pointer, alignof <= 16); true or a
/// static_assert. Python: none (ctypes types only).
/// Errors: none.
template <class T>
constexpr bool shareable_element() {
  static_assert(!is_handle_v<T>,
                "a multiproc lock, queue, pipe or shared object reaches "
                "other processes only by inheritance: create it before "
                "start(), async() or the pool, and capture it or pass it as "
                "an argument");
  static_assert(std::is_trivially_copyable_v<T>,
                "value<T>/array<T>: T must be trivially copyable (its bytes "
                "are all other processes see)");
  static_assert(!std::is_pointer_v<T> && !std::is_member_pointer_v<T> &&
                    !std::is_null_pointer_v<T>,
                "value<T>/array<T>: T must not be a pointer (an address "
                "means nothing in another process)");
  static_assert(alignof(T) <= 16, "value<T>/array<T>: alignof(T) above 16");
  return true;
}

/// The bytes of n Ts in the arena. Python: none (ctypes' own overflow
/// check). Errors: std::bad_array_new_length above 2^40 bytes, so that a
/// huge n can never wrap the product to a small cell.
template <class T>
std::size_t array_bytes(std::size_t n) {
  if (n > (std::size_t{1} << 40) / sizeof(T)) {
    throw std::bad_array_new_length();
  }
  return n * sizeof(T);
}

/// Compile-time check that Lock is mutex or rlock. Python: Value's `lock`
/// must be a Lock or an RLock. Errors: none.
template <class Lock>
constexpr bool value_lock() {
  static_assert(std::is_same_v<Lock, mutex> || std::is_same_v<Lock, rlock>,
                "the lock of a value or array is mp::lock or mp::rlock");
  return true;
}

// The lock half that value and array share.
/// Python: the lock half of sharedctypes' Synchronized wrappers.
template <class Derived, class Lock>
class locked_object : public acquire_family<Derived> {
 public:
  /// The lock that guards the object. Python: get_lock().
  Lock get_lock() const noexcept { return lock_; }
  /// Releases the lock. Python: v.release() (v.get_lock().release()).
  /// Errors: those of the lock's release() (usage_error when not held, or
  /// not owned by this thread for an rlock).
  void release() { lock_.release(); }
  /// The lock's owner_died(). Python: none. Errors: none.
  bool owner_died() const { return lock_.owner_died(); }

 protected:
  explicit locked_object(Lock with_lock) : lock_(std::move(with_lock)) {}
  Lock& lock_handle() const noexcept { return lock_; }

 private:
  friend class acquire_family<Derived>;
  acquire_result try_acquire() { return lock_.acquire(false); }
  acquire_result acquire_steady(const std::optional<steady_deadline>& at) {
    if (!at) return lock_.acquire();
    return lock_.acquire_until(*at);
  }
  mutable Lock lock_;
};

}  // namespace detail::sync

/// Python's Value: one T with a lock (a new rlock unless given).
/// The acquire family and owner_died() are those of its lock.
/// Errors: construction throws std::system_error when the arena cannot
/// supply the memory (or the lock).
template <class T, class Lock = rlock>
class value : public detail::sync::locked_object<value<T, Lock>, Lock> {
  static_assert(detail::sync::shareable_element<T>());
  static_assert(detail::sync::value_lock<Lock>());
  using base = detail::sync::locked_object<value<T, Lock>, Lock>;

 public:
  /// T{} with a new lock. Python: Value(t).
  /// Errors: std::system_error when the arena cannot supply the memory or
  /// the lock.
  value() : value(T{}) {}
  /// `initial` with a new lock. Python: Value(t, v).
  /// Errors: as value().
  explicit value(const T& initial) : value(initial, Lock()) {}
  /// Python's Value(t, v, lock=lock): that very lock.
  /// Errors: std::system_error when the arena cannot supply the memory.
  value(const T& initial, Lock with_lock)
      : base(std::move(with_lock)), cell_(sizeof(T)) {
    ::new (cell_.get()) T(initial);
  }
  /// Python's v.value: a copy, taken under the lock.
  /// Errors: those of acquiring the lock (std::system_error only).
  T load() const {
    std::lock_guard held(this->lock_handle());
    return get_obj();
  }
  /// Python: v.value = x, under the lock.
  /// Errors: as load().
  void store(const T& v) {
    std::lock_guard held(this->lock_handle());
    get_obj() = v;
  }
  /// The shared T itself; use it under the lock. Python: v.get_obj().
  T& get_obj() const noexcept {
    return *std::launder(static_cast<T*>(cell_.get()));
  }

 private:
  friend std::uint64_t handle_birth(const value& h) noexcept {
    return h.cell_.birth();
  }
  detail::sync::cell_ref cell_;
};

/// Python's Array: `size()` Ts with a lock (a new rlock unless given).
/// Errors: load(i)/store(i, v) with i >= size() throw std::out_of_range(
/// "invalid index"); a slice store whose length differs throws
/// usage_error("Can only assign sequence of same size"); construction as
/// value.
template <class T, class Lock = rlock>
class array : public detail::sync::locked_object<array<T, Lock>, Lock> {
  static_assert(detail::sync::shareable_element<T>());
  static_assert(detail::sync::value_lock<Lock>());
  using base = detail::sync::locked_object<array<T, Lock>, Lock>;

 public:
  /// `size` value-initialized Ts with a new lock. Python: Array(t, n).
  /// Errors: std::bad_array_new_length when the array would exceed 2^40
  /// bytes; std::system_error when the arena cannot supply the memory or
  /// the lock.
  explicit array(std::size_t size) : array(size, Lock()) {}
  /// A copy of `init` with a new lock. Python: Array(t, [..]).
  /// Errors: as array(size).
  array(std::initializer_list<T> init)
      : array(std::span<const T>(init.begin(), init.size())) {}
  explicit array(std::span<const T> init) : array(init, Lock()) {}
  /// As array(size), guarded by `with_lock`. Python: Array(t, n, lock=lock).
  /// Errors: as array(size).
  array(std::size_t size, Lock with_lock)
      : base(std::move(with_lock)), size_(size), cell_(bytes(size)) {
    std::uninitialized_value_construct_n(data(), size_);
  }
  /// As array(init), guarded by `with_lock`.
  /// Python: Array(t, [..], lock=lock). Errors: as array(size).
  array(std::span<const T> init, Lock with_lock)
      : base(std::move(with_lock)),
        size_(init.size()),
        cell_(bytes(init.size())) {
    std::uninitialized_copy(init.begin(), init.end(), data());
  }

  /// The number of elements. Python: len(a).
  std::size_t size() const noexcept { return size_; }
  /// Python: a[i], under the lock.
  /// Errors: std::out_of_range("invalid index") when i >= size(); those of
  /// acquiring the lock.
  T load(std::size_t i) const {
    check(i);
    std::lock_guard held(this->lock_handle());
    return data()[i];
  }
  /// Python: a[i] = v, under the lock. Errors: as load(i).
  void store(std::size_t i, const T& v) {
    check(i);
    std::lock_guard held(this->lock_handle());
    data()[i] = v;
  }
  /// Python: a[:], a copy under the lock.
  /// Errors: those of acquiring the lock.
  std::vector<T> load() const { return load(0, size_); }
  /// Python: a[:] = values.
  /// Errors: usage_error("Can only assign sequence of same size") when
  /// values.size() != size(); those of acquiring the lock.
  void store(std::span<const T> values) { store(0, size_, values); }
  /// Python: a[first:last], clamped to the array as Python's slices are.
  /// Errors: those of acquiring the lock.
  std::vector<T> load(std::size_t first, std::size_t last) const {
    clamp(first, last);
    std::lock_guard held(this->lock_handle());
    return std::vector<T>(data() + first, data() + last);
  }
  /// Python: a[first:last] = values (the slice clamped as in load()).
  /// Errors: usage_error("Can only assign sequence of same size") when
  /// values.size() differs from the clamped slice's; those of acquiring
  /// the lock.
  void store(std::size_t first, std::size_t last, std::span<const T> values) {
    clamp(first, last);
    if (values.size() != last - first) {
      throw usage_error("Can only assign sequence of same size");
    }
    std::lock_guard held(this->lock_handle());
    std::copy(values.begin(), values.end(), data() + first);
  }
  /// The shared elements themselves; use them under the lock.
  /// Python: a.get_obj().
  std::span<T> get_obj() const noexcept { return {data(), size_}; }

 private:
  static std::size_t bytes(std::size_t n) {
    return detail::sync::array_bytes<T>(n);
  }
  T* data() const noexcept { return static_cast<T*>(cell_.get()); }
  void check(std::size_t i) const {
    if (i >= size_) throw std::out_of_range("invalid index");
  }
  void clamp(std::size_t& first, std::size_t& last) const {
    last = std::min(last, size_);
    first = std::min(first, last);
  }
  std::size_t size_;
  friend std::uint64_t handle_birth(const array& h) noexcept {
    return h.cell_.birth();
  }
  detail::sync::cell_ref cell_;
};

/// Python's RawValue / Value(lock=False): no lock. load()/store() are plain
/// copies: racing writers are a data race, as with any shared memory (use
/// std::atomic_ref on get_obj() for atomics).
template <class T>
class raw_value {
  static_assert(detail::sync::shareable_element<T>());

 public:
  /// T{}. Python: RawValue(t).
  /// Errors: std::system_error when the arena cannot supply the memory.
  raw_value() : raw_value(T{}) {}
  /// `initial`. Python: RawValue(t, v). Errors: as raw_value().
  explicit raw_value(const T& initial) : cell_(sizeof(T)) {
    ::new (cell_.get()) T(initial);
  }
  /// A plain copy. Python: v.value. Errors: none.
  T load() const { return get_obj(); }
  /// A plain copy in. Python: v.value = x. Errors: none.
  void store(const T& v) { get_obj() = v; }
  /// The shared T itself. Python: the RawValue object itself.
  T& get_obj() const noexcept {
    return *std::launder(static_cast<T*>(cell_.get()));
  }

 private:
  friend std::uint64_t handle_birth(const raw_value& h) noexcept {
    return h.cell_.birth();
  }
  detail::sync::cell_ref cell_;
};

/// Python's RawArray / Array(lock=False).
/// Errors: load(i)/store(i, v) with i >= size() throw std::out_of_range(
/// "invalid index").
template <class T>
class raw_array {
  static_assert(detail::sync::shareable_element<T>());

 public:
  /// `size` value-initialized Ts. Python: RawArray(t, n).
  /// Errors: std::bad_array_new_length when the array would exceed 2^40
  /// bytes; std::system_error when the arena cannot supply the memory.
  explicit raw_array(std::size_t size)
      : size_(size), cell_(detail::sync::array_bytes<T>(size)) {
    std::uninitialized_value_construct_n(data(), size_);
  }
  /// A copy of `init`. Python: RawArray(t, [..]). Errors: as raw_array(size).
  raw_array(std::initializer_list<T> init)
      : raw_array(std::span<const T>(init.begin(), init.size())) {}
  explicit raw_array(std::span<const T> init)
      : size_(init.size()), cell_(detail::sync::array_bytes<T>(init.size())) {
    std::uninitialized_copy(init.begin(), init.end(), data());
  }
  /// The number of elements. Python: len(a).
  std::size_t size() const noexcept { return size_; }
  /// A plain copy of element i. Python: a[i].
  /// Errors: std::out_of_range("invalid index") when i >= size().
  T load(std::size_t i) const {
    if (i >= size_) throw std::out_of_range("invalid index");
    return data()[i];
  }
  /// Python: a[i] = v. Errors: as load(i).
  void store(std::size_t i, const T& v) {
    if (i >= size_) throw std::out_of_range("invalid index");
    data()[i] = v;
  }
  /// The shared elements themselves. Python: the RawArray object itself.
  std::span<T> get_obj() const noexcept { return {data(), size_}; }

 private:
  T* data() const noexcept { return static_cast<T*>(cell_.get()); }
  std::size_t size_;
  friend std::uint64_t handle_birth(const raw_array& h) noexcept {
    return h.cell_.birth();
  }
  detail::sync::cell_ref cell_;
};

namespace detail::sync {
/// Marks value as a handle that may be inherited by children; no Python
/// equivalent.
template <class T, class L>
struct is_handle<value<T, L>> : std::true_type {
  static constexpr const char* python_name = "Synchronized";
};
/// Marks array as a handle that may be inherited by children; no Python
/// equivalent.
template <class T, class L>
struct is_handle<array<T, L>> : std::true_type {
  static constexpr const char* python_name = "SynchronizedArray";
};
/// Marks raw_value as a handle that may be inherited by children; no Python
/// equivalent.
template <class T>
struct is_handle<raw_value<T>> : std::true_type {
  static constexpr const char* python_name = "RawValue";
};
/// Marks raw_array as a handle that may be inherited by children; no Python
/// equivalent.
template <class T>
struct is_handle<raw_array<T>> : std::true_type {
  static constexpr const char* python_name = "RawArray";
};
}  // namespace detail::sync

}  // namespace multiproc::inline v0

#pragma GCC visibility pop
