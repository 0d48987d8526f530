# Part 4b (queue.hpp, connection.hpp) tests. Included by tests/CMakeLists.txt.
foreach(area queue queue_peers queue_deaths joinable pipe pipe_peers pipe_scale
    wait)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/channel_${area}_test.cpp)
    multiproc_add_test(channel_${area}_test SOURCES channel_${area}_test.cpp
      LABELS channel)
  endif()
endforeach()

# A pipe end refused as an item at compile time, with the contract's
# diagnostic: built by ctest, passing when the build fails with it.
foreach(case pipe_item)
  set(target channel_compile_fail_${case}_test)
  add_executable(${target} EXCLUDE_FROM_ALL ${target}.cpp)
  target_link_libraries(${target} PRIVATE multiproc::multiproc)
  add_test(NAME ChannelCompileFail.${case}
    COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${target})
  set_tests_properties(ChannelCompileFail.${case} PROPERTIES LABELS unit
    RESOURCE_LOCK multiproc_build_tree
    PASS_REGULAR_EXPRESSION "reaches[ \n]*other processes only by inheritance")
endforeach()
