# Part 4a: cross-process locks, semaphores and events (multiproc/
# synchronize.hpp) over one shared arena and a participant registry whose
# liveness the kernel reports.
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/arena.cpp
  ${CMAKE_CURRENT_LIST_DIR}/barrier.cpp
  ${CMAKE_CURRENT_LIST_DIR}/condition.cpp
  ${CMAKE_CURRENT_LIST_DIR}/event.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fork_hooks.cpp
  ${CMAKE_CURRENT_LIST_DIR}/futex_wait.cpp
  ${CMAKE_CURRENT_LIST_DIR}/holdings.cpp
  ${CMAKE_CURRENT_LIST_DIR}/lock_word.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mutex.cpp
  ${CMAKE_CURRENT_LIST_DIR}/participants.cpp
  ${CMAKE_CURRENT_LIST_DIR}/rlock.cpp
  ${CMAKE_CURRENT_LIST_DIR}/semaphore.cpp)
