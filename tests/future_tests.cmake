# Futures, async/call and the result codec (issue 4).
multiproc_add_test(codec_roundtrip_test SOURCES codec_roundtrip_test.cpp)
multiproc_add_test(future_async_test SOURCES future_async_test.cpp)
multiproc_add_test(future_exception_test SOURCES future_exception_test.cpp)
multiproc_add_test(future_lifetime_test SOURCES future_lifetime_test.cpp
  LABELS slow)

# cereal is optional: its test is built when the headers are there.
find_path(MULTIPROC_CEREAL_INCLUDE_DIR cereal/archives/binary.hpp)
if(MULTIPROC_CEREAL AND MULTIPROC_CEREAL_INCLUDE_DIR)
  multiproc_add_test(codec_cereal_test SOURCES codec_cereal_test.cpp)
endif()

# A result type that cannot be transferred is a compile-time error with a
# message that says what to do: build the offending programs and expect the
# message.
foreach(case pointer class)
  set(target codec_compile_fail_${case}_test)
  add_executable(${target} EXCLUDE_FROM_ALL ${target}.cpp)
  target_link_libraries(${target} PRIVATE multiproc::multiproc)
  add_test(NAME CodecCompileFail.${case}
    COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${target})
endforeach()
# Both build in this tree: never at the same time (ctest -j).
set_tests_properties(CodecCompileFail.pointer CodecCompileFail.class
  PROPERTIES RESOURCE_LOCK multiproc_build_tree)
set_tests_properties(CodecCompileFail.pointer PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "the address it holds means nothing there")
set_tests_properties(CodecCompileFail.class PROPERTIES LABELS unit
  PASS_REGULAR_EXPRESSION "specialize[ \n]*multiproc::codec<T>")

# Thrown text and registration after a pool exists (issue 9).
multiproc_add_test(remote_exception_test SOURCES remote_exception_test.cpp)
