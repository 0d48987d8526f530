# The OS layer: pidfds, checked system calls, the cached pid.
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/pidfd.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sys.cpp
  ${CMAKE_CURRENT_LIST_DIR}/this_pid.cpp)
