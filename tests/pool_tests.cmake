multiproc_add_test(pool_engine_test SOURCES pool_engine_test.cpp LABELS pool)
