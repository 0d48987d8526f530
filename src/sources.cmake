# The portable layer (Part 1: multiproc/process.hpp, exit_policy.hpp,
# futures_wait.hpp, errors.hpp), then each folder's own list.
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/child_main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/cpu_count.cpp
  ${CMAKE_CURRENT_LIST_DIR}/errors.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exit.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exit_policy.cpp
  ${CMAKE_CURRENT_LIST_DIR}/futures_wait.cpp
  ${CMAKE_CURRENT_LIST_DIR}/process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/process_state.cpp
  ${CMAKE_CURRENT_LIST_DIR}/registry.cpp
  ${CMAKE_CURRENT_LIST_DIR}/std_streams.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wait_for_processes.cpp)
include(${CMAKE_CURRENT_LIST_DIR}/async/sources.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/codec/sources.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/launch/sources.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/posix/sources.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/pool/sources.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/remote/sources.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/sync/sources.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/shm/sources.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/channel/sources.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/limits/sources.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/start/sources.cmake)
