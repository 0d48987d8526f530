#!/usr/bin/env bash
# ThreadSanitizer build and tests, run by .ci/run (a build of its own: TSan
# cannot be combined with ASan).
#
#   scripts/tsan.sh [ctest argument...]
#       build directory: $TSAN_BUILD_DIR, default build-tsan/
#
# Runs every test except those labelled `notsan` (tests/*_tests.cmake says
# why for each) and the single tests excluded by name below, with time limits
# stretched (MULTIPROC_TEST_SLOWDOWN=5). A data race reported in a parent or
# in a forked child fails the test (halt_on_error, exitcode 66).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
build=${TSAN_BUILD_DIR:-build-tsan}
cmake -S . -B "$build" -DMULTIPROC_BUILD_TESTS=ON \
  -DMULTIPROC_BUILD_EXAMPLES=ON -DMULTIPROC_WERROR=ON \
  -DMULTIPROC_SANITIZE=thread
cmake --build "$build" --parallel "$(nproc)"

# TSan's runtime (GCC 12's libtsan) maps its shadow memory at fixed
# addresses and dies with "FATAL: ThreadSanitizer: unexpected memory mapping"
# when ASLR places a library there, which kernels with more than 28 bits of
# mmap randomness (the default on some recent distributions) do. Lower it as
# root, or else run without address randomization.
launcher=()
rnd_bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 28)
if ((rnd_bits > 28)); then
  if [[ $(id -u) == 0 ]] && sysctl -qw vm.mmap_rnd_bits=28 2>/dev/null; then
    echo "tsan: vm.mmap_rnd_bits lowered from $rnd_bits to 28"
  else
    echo "tsan: vm.mmap_rnd_bits is $rnd_bits; running under setarch -R"
    launcher=(setarch "$(uname -m)" -R)
  fi
fi

# halt_on_error + exitcode: the first report ends the process with 66, so a
# race in a forked child shows up as a wrong exit code in the test even where
# the child's stderr is not looked at. second_deadlock_stack: both stacks of
# a lock-order inversion. die_after_fork=0: the tests fork from processes
# that have threads on purpose (that is what the library must survive), and
# TSan's default would abort such children. handle_segv/sigbus/sigfpe=0:
# tests and examples crash children on purpose (raise(SIGSEGV)) and expect
# them to die of the signal (exit code -11); TSan's handler would print a
# report and exit instead. A real crash still fails the test.
tsan_options=(halt_on_error=1 exitcode=66 second_deadlock_stack=1
  die_after_fork=0 handle_segv=0 handle_sigbus=0 handle_sigfpe=0)
export TSAN_OPTIONS="${tsan_options[*]} ${TSAN_OPTIONS:-}"
export MULTIPROC_TEST_SLOWDOWN=${MULTIPROC_TEST_SLOWDOWN:-5}

# Single tests that cannot run under TSan, in binaries whose other tests can
# (ctest -E takes a regular expression over test names):
exclude=(
  # Asks for 2^62 bytes and expects std::bad_alloc: TSan's operator new
  # reports "requested allocation size exceeds maximum supported size" and
  # exits instead of throwing, whatever allocator_may_return_null says.
  'FutureException\.RealAllocationFailureInTheChild$'
  # Forks while other threads hold library locks, then the child starts
  # threads of its own: GCC 12's TSan runtime keeps the parent's threads in
  # its registry after fork, and when a new thread in the child gets the
  # pthread id of one of them it aborts with "ThreadSanitizer: dup thread
  # with used id" (exit 66). The rest of reliability_threads_test runs.
  'ReliabilityThreads\.ForkWhileOtherThreadsHoldLibraryLocks$'
)
exclude_args=()
if ((${#exclude[@]})); then
  regex=$(IFS='|'; echo "${exclude[*]}")
  exclude_args=(-E "$regex")
fi

"${launcher[@]}" ctest --test-dir "$build" -j2 --output-on-failure \
  -LE notsan "${exclude_args[@]}" "$@"
