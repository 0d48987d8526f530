multiproc_add_test(pool_engine_test SOURCES pool_engine_test.cpp LABELS pool)
multiproc_add_test(pool_test SOURCES pool_test.cpp LABELS pool)
multiproc_add_test(pool_replacement_test SOURCES pool_replacement_test.cpp LABELS pool)
