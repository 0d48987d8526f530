# Part 4a: shared_memory (multiproc/shared_memory.hpp).
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/shared_memory.cpp)
