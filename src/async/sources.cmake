# Part 2: async() (multiproc/async.hpp, future.hpp): the parent's core of an
# async() future, the child's end, and the memfd result channel between them.
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/async_core.cpp
  ${CMAKE_CURRENT_LIST_DIR}/child_result.cpp
  ${CMAKE_CURRENT_LIST_DIR}/result_channel.cpp)
