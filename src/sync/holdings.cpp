#include "sync/holdings.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <new>

#include "multiproc/detail/sync_cell.hpp"
#include "multiproc/detail/sync_handle_traits.hpp"
#include "sync/arena.hpp"
#include "sync/participants.hpp"

namespace multiproc::inline v0::detail::sync {

// The 16 bytes in front of every object: how many processes hold it, and
// the size it was allocated with (to free it into the right class).
struct cell_header {
  std::uint32_t holders;
  std::uint32_t reserved;
  std::uint64_t bytes;
};
static_assert(sizeof(cell_header) == 16);

struct holding {
  std::atomic<long> handles{1};  // this process's handles to the cell
  cell_header* cell;
  std::uint64_t birth = 0;  // next_birth() when this process made the cell
  holding* prev = nullptr;
  holding* next = nullptr;
};

namespace {

// Process-local, inherited by fork (see next_birth()).
std::atomic<std::uint64_t> g_births{0};

// Every holding of this process, so that fork can count the child in.
// Guarded by g_holdings_mutex, which the fork handlers hold across fork().
std::mutex g_holdings_mutex;
holding* g_holdings = nullptr;

void link(holding* h) {
  std::lock_guard lock(g_holdings_mutex);
  h->next = g_holdings;
  if (g_holdings != nullptr) g_holdings->prev = h;
  g_holdings = h;
}

void let_go(holding* h) noexcept {
  {
    std::lock_guard lock(g_holdings_mutex);
    if (h->prev != nullptr) h->prev->next = h->next;
    if (h->next != nullptr) h->next->prev = h->prev;
    if (g_holdings == h) g_holdings = h->next;
  }
  cell_header* cell = h->cell;
  delete h;
  if (std::atomic_ref<std::uint32_t>(cell->holders)
          .fetch_sub(1, std::memory_order_acq_rel) == 1) {
    free_cell(cell, static_cast<std::size_t>(cell->bytes));
  }
}

}  // namespace

cell_ref::cell_ref(std::size_t bytes) {
  // The participant first: a process that has claimed none cannot hold a
  // lock, and claiming can fail (EAGAIN) — before anything is allocated.
  (void)process_participant();
  const std::size_t total = sizeof(cell_header) + bytes;
  auto* cell = static_cast<cell_header*>(allocate_cell(total));
  cell->bytes = total;
  std::atomic_ref<std::uint32_t>(cell->holders)
      .store(1, std::memory_order_relaxed);
  holding* h = nullptr;
  try {
    h = new holding;
    h->cell = cell;
    h->birth = next_birth();
    link(h);
  } catch (...) {
    delete h;
    free_cell(cell, total);
    throw;
  }
  holding_ = h;
  payload_ = cell + 1;
}

cell_ref::cell_ref(const cell_ref& other) noexcept
    : holding_(other.holding_), payload_(other.payload_) {
  holding_->handles.fetch_add(1, std::memory_order_relaxed);
}

cell_ref& cell_ref::operator=(const cell_ref& other) noexcept {
  if (this == &other || holding_ == other.holding_) return *this;
  other.holding_->handles.fetch_add(1, std::memory_order_relaxed);
  if (holding_->handles.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    let_go(holding_);
  }
  holding_ = other.holding_;
  payload_ = other.payload_;
  return *this;
}

cell_ref::~cell_ref() {
  if (holding_->handles.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    let_go(holding_);
  }
}

std::uint64_t cell_ref::birth() const noexcept { return holding_->birth; }

std::uint64_t next_birth() noexcept {
  return g_births.fetch_add(1, std::memory_order_relaxed) + 1;
}

std::uint64_t births_so_far() noexcept {
  return g_births.load(std::memory_order_relaxed);
}

void holdings_before_fork() noexcept {
  g_holdings_mutex.lock();
  for (holding* h = g_holdings; h != nullptr; h = h->next) {
    std::atomic_ref<std::uint32_t>(h->cell->holders)
        .fetch_add(1, std::memory_order_relaxed);
  }
}

void holdings_after_fork_in_parent() noexcept {
  // A failed fork() runs this too and cannot be told apart here: the
  // counts taken for the child that never was stay, and those cells are
  // not reused (see sync_cell.hpp's lifetime rule).
  g_holdings_mutex.unlock();
}

void holdings_after_fork_in_child() noexcept {
  // Locked by this very thread in holdings_before_fork(); a fresh mutex is
  // the one state a child may rely on.
  new (&g_holdings_mutex) std::mutex;
}

}  // namespace multiproc::inline v0::detail::sync
