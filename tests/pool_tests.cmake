multiproc_add_test(pool_engine_test SOURCES pool_engine_test.cpp LABELS pool)
multiproc_add_test(pool_backend_test SOURCES pool_backend_test.cpp LABELS pool)
multiproc_add_test(pool_test SOURCES pool_test.cpp LABELS pool)
multiproc_add_test(pool_map_test SOURCES pool_map_test.cpp LABELS pool)
multiproc_add_test(pool_replacement_test SOURCES pool_replacement_test.cpp LABELS pool)
multiproc_add_test(pool_cancel_test SOURCES pool_cancel_test.cpp LABELS pool)
multiproc_add_test(pool_timeout_test SOURCES pool_timeout_test.cpp LABELS pool)
multiproc_add_test(pool_ownership_test SOURCES pool_ownership_test.cpp LABELS pool)

# A main-like program whose pool is at work when main() returns.
add_executable(multiproc_pool_exit_helper helpers/pool_exit_helper.cpp)
target_link_libraries(multiproc_pool_exit_helper PRIVATE multiproc::multiproc)
multiproc_set_warnings(multiproc_pool_exit_helper)
multiproc_add_test(pool_exit_test SOURCES pool_exit_test.cpp LABELS pool)
target_compile_definitions(pool_exit_test PRIVATE
  MULTIPROC_TEST_HELPER="$<TARGET_FILE:multiproc_pool_exit_helper>")
add_dependencies(pool_exit_test multiproc_pool_exit_helper)
