# Part 5 Half A (start methods) tests. Included by tests/CMakeLists.txt.
# The guard is in the shared test main (support/test_main.cpp), so a test
# binary can be its own spawned child.

# A program for what needs its own main: a copy that returns from main
# before its guard.
add_executable(multiproc_start_helper helpers/start_helper.cpp)
target_link_libraries(multiproc_start_helper PRIVATE multiproc::multiproc)
multiproc_set_warnings(multiproc_start_helper)

# A program whose forkserver cannot serve (threads at its guard, or main
# returning before it).
add_executable(multiproc_forkserver_helper helpers/forkserver_helper.cpp)
target_link_libraries(multiproc_forkserver_helper PRIVATE multiproc::multiproc)
multiproc_set_warnings(multiproc_forkserver_helper)

foreach(area method process context forkserver async pool)
  multiproc_add_test(start_${area}_test SOURCES start_${area}_test.cpp
    LABELS start)
  target_compile_definitions(start_${area}_test PRIVATE
    MULTIPROC_START_HELPER="$<TARGET_FILE:multiproc_start_helper>")
  target_compile_definitions(start_${area}_test PRIVATE
    MULTIPROC_FORKSERVER_HELPER="$<TARGET_FILE:multiproc_forkserver_helper>")
  add_dependencies(start_${area}_test multiproc_start_helper
    multiproc_forkserver_helper)
endforeach()

# Must not compile: a capturing lambda given to a context's factory
# (process, async, call), each with the contract's message.
foreach(factory capture async_capture call_capture)
  multiproc_add_compile_fail_test(StartCompileFail.${factory}
    start_compile_fail_${factory}_test
    "captures cannot be sent to another[ \n]*process: pass the values as arguments"
    LABELS start)
endforeach()
