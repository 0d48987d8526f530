// Waiting on MPI without blocking inside it: a blocking MPI wait spins a
// core (three idle ranks burnt 54-75 % of the machine, spec/scale-out.md
// §4.1), so every wait here polls, spins a while, then sleeps 20 us
// doubling to 1 ms.
#pragma once

#include <chrono>
#include <functional>

namespace multiproc::inline v0::detail::mpi {

/// Sets this thread's timer slack to 1 ns: with the default 50 us, a
/// 20 us sleep takes over 100 us, longer than the spin window, and two
/// ranks fall into a rhythm where every message waits for a wake-up
/// (spec/scale-out.md §4.1). Best effort: a refusal leaves the default.
void use_exact_naps() noexcept;

/// Calls `ready` until it returns true or `deadline` passes; returns
/// whether it did. `spin`: how long to poll without sleeping.
bool poll_until(const std::function<bool()>& ready,
                std::chrono::steady_clock::time_point deadline,
                std::chrono::microseconds spin);

}  // namespace multiproc::inline v0::detail::mpi
