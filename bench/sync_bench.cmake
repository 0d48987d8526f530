# Part 4a figures (locks, values, handoff). Plain program: medians of 7.
add_executable(multiproc_sync_bench ${CMAKE_CURRENT_LIST_DIR}/sync_bench.cpp)
target_link_libraries(multiproc_sync_bench PRIVATE multiproc)
multiproc_set_warnings(multiproc_sync_bench)
