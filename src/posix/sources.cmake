# The OS layer: pidfds, checked system calls, the cached pid, EINTR-safe
# I/O, fd passing, memory mappings, demangling, thread counting, the
# program's name for exec'd copies.
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/demangle.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fd_passing.cpp
  ${CMAKE_CURRENT_LIST_DIR}/io.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mapping.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pidfd.cpp
  ${CMAKE_CURRENT_LIST_DIR}/program_name.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sys.cpp
  ${CMAKE_CURRENT_LIST_DIR}/this_pid.cpp
  ${CMAKE_CURRENT_LIST_DIR}/thread_count.cpp
  ${CMAKE_CURRENT_LIST_DIR}/usable_prefix.cpp)
