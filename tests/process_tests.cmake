# Part 1 (process) tests: one binary per concern. Included by
# tests/CMakeLists.txt.

# A main-like helper program for what needs a fresh process (exact default
# names, joins when main() ends); tests run it with posix_spawn.
add_executable(multiproc_process_helper helpers/process_helper.cpp)
target_link_libraries(multiproc_process_helper PRIVATE multiproc::multiproc)
multiproc_set_warnings(multiproc_process_helper)

foreach(area lifecycle join signal naming misuse exit tree wait registry
        os_failure)
  multiproc_add_test(process_${area}_test SOURCES process_${area}_test.cpp)
  target_compile_definitions(process_${area}_test PRIVATE
    MULTIPROC_TEST_HELPER="$<TARGET_FILE:multiproc_process_helper>")
  add_dependencies(process_${area}_test multiproc_process_helper)
endforeach()
