# The fault matrix of issue 5: one binary per fault family, each test named
# in docs/RELIABILITY.md. Included by tests/CMakeLists.txt.
#
# Labels:
#   slow    long-running (the soak; the 8 × 500 thread storm);
#   notsan  ThreadSanitizer cannot run it: TSan does not support fork() from
#           a multi-threaded process (the child inherits TSan's own runtime
#           threads' locks and may hang or report false races), and its
#           signal interception defers handlers, so a signal storm measures
#           TSan rather than us. Every test below that forks while another
#           thread runs, or floods signals, carries it.

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
# and pool. notsan: forks with the pool's dispatcher thread running.
multiproc_add_reliability_test(reliability_fork_test
  SOURCES reliability_fork_test.cpp LABELS notsan)
# Out of fds (RLIMIT_NOFILE) and EMFILE injected into every fd-creating
# call. notsan: pool cases fork with the dispatcher running.
multiproc_add_reliability_test(reliability_fd_test
  SOURCES reliability_fd_test.cpp LABELS notsan)
# Signal storms during waits; SIGTERM-ignoring children and stop(); children
# that close every fd. notsan: the storm (see above).
multiproc_add_reliability_test(reliability_signal_test
  SOURCES reliability_signal_test.cpp LABELS notsan)
# Foreign reapers and SIGCHLD=SIG_IGN against process, async and pool.
# notsan: a reaper thread runs while the test forks.
multiproc_add_reliability_test(reliability_reaper_test
  SOURCES reliability_reaper_test.cpp LABELS notsan)
# Exit policy and a parent killed by SIGKILL (helper programs).
multiproc_add_reliability_test(reliability_exit_test
  SOURCES reliability_exit_test.cpp)
# Many threads starting children; fork while other threads hold library
# locks. notsan: forking from a threaded process is the point.
multiproc_add_reliability_test(reliability_threads_test
  SOURCES reliability_threads_test.cpp LABELS slow notsan)
# 10,000 start/join cycles: fds and RSS stay flat.
multiproc_add_reliability_test(reliability_soak_test
  SOURCES reliability_soak_test.cpp LABELS slow)
