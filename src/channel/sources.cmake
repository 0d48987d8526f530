# Part 4b: queues, pipes and connections (multiproc/queue.hpp,
# connection.hpp) over one ring of whole items per queue, in shared memory
# of its own, and the holders table that reports a dead peer.
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/data_cells.cpp
  ${CMAKE_CURRENT_LIST_DIR}/holders.cpp
  ${CMAKE_CURRENT_LIST_DIR}/ring.cpp
  ${CMAKE_CURRENT_LIST_DIR}/connection.cpp
  ${CMAKE_CURRENT_LIST_DIR}/wait.cpp)
