# Part 4a (synchronize.hpp) tests: one binary per type. Included by
# tests/CMakeLists.txt.
foreach(area lock rlock semaphore event condition barrier value shared_memory
        scale)
  multiproc_add_test(sync_${area}_test SOURCES sync_${area}_test.cpp
    LABELS sync)
endforeach()
