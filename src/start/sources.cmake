# Start methods (API.md Part 5): the default method, and the guard where a
# copy of the program started by exec becomes its child.
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/context.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exec_child.cpp
  ${CMAKE_CURRENT_LIST_DIR}/portable_start.cpp
  ${CMAKE_CURRENT_LIST_DIR}/start_method.cpp)
