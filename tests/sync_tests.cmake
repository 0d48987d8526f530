# Part 4a (synchronize.hpp) tests: one binary per type. Included by
# tests/CMakeLists.txt.
foreach(area lock rlock semaphore event condition barrier value shared_memory
        scale pool_argument reserved_space)
  multiproc_add_test(sync_${area}_test SOURCES sync_${area}_test.cpp
    LABELS sync)
endforeach()

# Handles refused at compile time with the contract's diagnostic: built by
# ctest, passing when the build fails with that message.
foreach(case handle_result nested_handle map_handle_item nested_handle_argument
        value_of_handle)
  set(target sync_compile_fail_${case}_test)
  add_executable(${target} EXCLUDE_FROM_ALL ${target}.cpp)
  target_link_libraries(${target} PRIVATE multiproc::multiproc)
  add_test(NAME SyncCompileFail.${case}
    COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${target})
  set_tests_properties(SyncCompileFail.${case} PROPERTIES LABELS unit
    RESOURCE_LOCK multiproc_build_tree
    PASS_REGULAR_EXPRESSION "reaches[ \n]*other processes only by inheritance")
endforeach()
