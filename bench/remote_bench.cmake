# Issue 10: the cost of naming and resolving code (remote_bench.cpp).
add_executable(multiproc_remote_bench ${CMAKE_CURRENT_LIST_DIR}/remote_bench.cpp)
target_link_libraries(multiproc_remote_bench PRIVATE multiproc
  benchmark::benchmark ${CMAKE_DL_LIBS})
multiproc_set_warnings(multiproc_remote_bench)
