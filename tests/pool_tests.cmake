multiproc_add_test(pool_engine_test SOURCES pool_engine_test.cpp LABELS pool)
multiproc_add_test(pool_test SOURCES pool_test.cpp LABELS pool)
multiproc_add_test(pool_map_test SOURCES pool_map_test.cpp LABELS pool)
