# Part 5 figures: start+join by start method (fork, forkserver, spawn), and
# pools by start method.
add_executable(multiproc_start_bench ${CMAKE_CURRENT_LIST_DIR}/start_bench.cpp)
target_link_libraries(multiproc_start_bench PRIVATE multiproc)
multiproc_set_warnings(multiproc_start_bench)

# Pools by start method: tiny tasks/s and worker replacement.
add_executable(multiproc_start_pool_bench
  ${CMAKE_CURRENT_LIST_DIR}/start_pool_bench.cpp)
target_link_libraries(multiproc_start_pool_bench PRIVATE multiproc)
multiproc_set_warnings(multiproc_start_pool_bench)
