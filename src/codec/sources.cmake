# The codec and exceptions that travel (multiproc/codec.hpp,
# remote_exception.hpp): how values and exceptions cross between processes,
# shared by async(), the pool and every later channel.
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/codec.cpp
  ${CMAKE_CURRENT_LIST_DIR}/remote_exception.cpp)
