# Part 4b (queue.hpp, connection.hpp) tests. Included by tests/CMakeLists.txt.
foreach(area queue queue_peers queue_deaths joinable pipe pipe_peers wait)
  if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/channel_${area}_test.cpp)
    multiproc_add_test(channel_${area}_test SOURCES channel_${area}_test.cpp
      LABELS channel)
  endif()
endforeach()
