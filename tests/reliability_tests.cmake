# The fault matrix of issue 5: one binary per fault family, each test named
# in docs/RELIABILITY.md. Included by tests/CMakeLists.txt.
#
# Labels:
#   slow    long-running (the soak; the 8 × 500 thread storm);
#   notsan  ThreadSanitizer cannot run it. None of these binaries is
#           labelled: under TSan (scripts/tsan.sh: die_after_fork=0, time
#           limits ×5) every test here passes, forks from threaded processes
#           and signal storms included, except the one test that
#           scripts/tsan.sh excludes by name, with the reason
#           (ForkWhileOtherThreadsHoldLibraryLocks: GCC 12's TSan runtime
#           aborts a child that starts a thread after such a fork).

# Helper program for the faults that must happen to a whole program: its
# exit (exit policy) or its death by SIGKILL.
add_executable(multiproc_reliability_helper helpers/reliability_helper.cpp)
target_link_libraries(multiproc_reliability_helper PRIVATE multiproc::multiproc)
multiproc_set_warnings(multiproc_reliability_helper)

function(multiproc_add_reliability_test name)
  multiproc_add_test(${name} ${ARGN})
  target_compile_definitions(${name} PRIVATE
    MULTIPROC_TEST_HELPER="$<TARGET_FILE:multiproc_reliability_helper>")
  add_dependencies(${name} multiproc_reliability_helper)
endfunction()

# Fork refused (RLIMIT_NPROC, injected EAGAIN/ENOMEM) for process, async
# and pool.
multiproc_add_reliability_test(reliability_fork_test
  SOURCES reliability_fork_test.cpp)
# Out of fds (RLIMIT_NOFILE) and EMFILE injected into every fd-creating
# call.
multiproc_add_reliability_test(reliability_fd_test
  SOURCES reliability_fd_test.cpp)
# Signal storms during waits; SIGTERM-ignoring children and stop(); children
# that close every fd.
multiproc_add_reliability_test(reliability_signal_test
  SOURCES reliability_signal_test.cpp)
# Foreign reapers and SIGCHLD=SIG_IGN against process, async and pool.
multiproc_add_reliability_test(reliability_reaper_test
  SOURCES reliability_reaper_test.cpp)
# Exit policy and a parent killed by SIGKILL (helper programs).
multiproc_add_reliability_test(reliability_exit_test
  SOURCES reliability_exit_test.cpp)
# Many threads starting children; fork while other threads hold library
# locks.
multiproc_add_reliability_test(reliability_threads_test
  SOURCES reliability_threads_test.cpp LABELS slow)
# 10,000 start/join cycles: fds and RSS stay flat.
multiproc_add_reliability_test(reliability_soak_test
  SOURCES reliability_soak_test.cpp LABELS slow)
