# Part 4a (synchronize.hpp) tests: one binary per type. Included by
# tests/CMakeLists.txt.
foreach(area lock rlock semaphore event condition barrier value shared_memory
        scale pool_argument reserved_space)
  multiproc_add_test(sync_${area}_test SOURCES sync_${area}_test.cpp
    LABELS sync)
endforeach()

# Handles refused at compile time with the contract's diagnostic.
foreach(case handle_result nested_handle map_handle_item nested_handle_argument
        value_of_handle)
  multiproc_add_compile_fail_test(SyncCompileFail.${case}
    sync_compile_fail_${case}_test
    "reaches[ \n]*other processes only by inheritance")
endforeach()
