# Per-child limits and usage (issue 15).
multiproc_add_test(limits_memory_test SOURCES limits_memory_test.cpp LABELS limits)
multiproc_add_test(limits_cpu_test SOURCES limits_cpu_test.cpp LABELS limits)
multiproc_add_test(limits_files_test SOURCES limits_files_test.cpp LABELS limits)
multiproc_add_test(limits_misuse_test SOURCES limits_misuse_test.cpp LABELS limits)
multiproc_add_test(usage_process_test SOURCES usage_process_test.cpp LABELS limits)
