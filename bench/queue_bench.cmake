# Part 4b queue rows (bench/queue_bench.cpp); Python's from
# bench/python/queue_cases.py. Included by bench/CMakeLists.txt.
add_executable(multiproc_queue_bench ${CMAKE_CURRENT_LIST_DIR}/queue_bench.cpp)
target_link_libraries(multiproc_queue_bench PRIVATE multiproc)
multiproc_set_warnings(multiproc_queue_bench)
