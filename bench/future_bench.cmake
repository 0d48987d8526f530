# Issue 4 figures (small call() vs start+join; 256 MiB result vs memcpy).
# Plain program, no Google Benchmark: it prints medians and ratios.
add_executable(multiproc_future_bench ${CMAKE_CURRENT_LIST_DIR}/future_bench.cpp)
target_link_libraries(multiproc_future_bench PRIVATE multiproc)
multiproc_set_warnings(multiproc_future_bench)
