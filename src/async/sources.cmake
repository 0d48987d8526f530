# Part 2: async() futures, the codec, exceptions that travel, the result
# channel (multiproc/async.hpp, future.hpp, codec.hpp, remote_exception.hpp).
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/async_core.cpp
  ${CMAKE_CURRENT_LIST_DIR}/child_result.cpp
  ${CMAKE_CURRENT_LIST_DIR}/codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/errors.cpp
  ${CMAKE_CURRENT_LIST_DIR}/remote_exception.cpp
  ${CMAKE_CURRENT_LIST_DIR}/result_channel.cpp)
