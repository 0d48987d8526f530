// The handle core shared by every Part 4a type: a counted reference to one
// object's cell in the shared arena (src/sync/arena.hpp).
//
// Lifetime rule. A cell counts the *processes* that hold it; each process
// counts its own handles. Copying a handle touches only this process's
// count. A fork child inherits its parent's handles without constructing
// them, so the fork handlers (src/sync/fork_hooks.cpp) count the child in
// for every object the parent holds at that moment. When a process's last
// handle to an object goes, the process lets go of it, and when the last
// process lets go the cell returns to the arena for reuse. A process that
// ends without destroying its handles (every fork child that ends with
// _exit, as multiproc's children do, and any killed process) keeps its
// share: those cells come back when the program's last process ends and
// the arena goes with it. So memory is never reused while any process may
// still use it, at the price of one cell per object per child that ended
// holding it.
#pragma once

#include <cstddef>
#include <cstdint>

#pragma GCC visibility push(default)  // public: see CMakeLists.txt
namespace multiproc::inline v0::detail::sync {

struct holding;  // this process's count for one cell (src/sync/holdings.cpp)

class cell_ref {
 public:
  /// A new zero-filled object of at least `bytes` (16-byte aligned), held by
  /// this process. Errors: std::system_error when the arena cannot be
  /// mapped or is full, or when no participant slot is free.
  explicit cell_ref(std::size_t bytes);
  /// Copies and moves alike: the source is never left empty.
  cell_ref(const cell_ref& other) noexcept;
  cell_ref& operator=(const cell_ref& other) noexcept;
  ~cell_ref();

  void* get() const noexcept { return payload_; }
  /// next_birth() when this process made the object (sync_handle_traits.hpp).
  std::uint64_t birth() const noexcept;
  friend bool operator==(const cell_ref& a, const cell_ref& b) noexcept {
    return a.payload_ == b.payload_;
  }

 private:
  holding* holding_;
  void* payload_;
};

}  // namespace multiproc::inline v0::detail::sync

#pragma GCC visibility pop
