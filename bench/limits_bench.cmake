# Issue 15 figures (start+join with limits and usage vs plain start+join).
add_executable(multiproc_limits_bench ${CMAKE_CURRENT_LIST_DIR}/limits_bench.cpp)
target_link_libraries(multiproc_limits_bench PRIVATE multiproc)
multiproc_set_warnings(multiproc_limits_bench)
