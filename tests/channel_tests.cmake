# Part 4b (queue.hpp, connection.hpp) tests. Included by tests/CMakeLists.txt.
foreach(area queue queue_peers queue_deaths joinable pipe pipe_peers pipe_scale
    wait)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/channel_${area}_test.cpp)
    multiproc_add_test(channel_${area}_test SOURCES channel_${area}_test.cpp
      LABELS channel)
  endif()
endforeach()

# A pipe end refused as an item at compile time, with the contract's
# diagnostic.
multiproc_add_compile_fail_test(ChannelCompileFail.pipe_item
  channel_compile_fail_pipe_item_test
  "reaches[ \n]*other processes only by inheritance")
