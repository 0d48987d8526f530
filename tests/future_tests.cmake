# Futures, async/call and the result codec (issue 4).
multiproc_add_test(codec_roundtrip_test SOURCES codec_roundtrip_test.cpp)
multiproc_add_test(future_async_test SOURCES future_async_test.cpp)
multiproc_add_test(future_exception_test SOURCES future_exception_test.cpp)
multiproc_add_test(future_wait_test SOURCES future_wait_test.cpp)
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
set(codec_fail_cases pointer class pointer_member too_many_fields
  reference_member)
foreach(case ${codec_fail_cases})
  set(target codec_compile_fail_${case}_test)
  add_executable(${target} EXCLUDE_FROM_ALL ${target}.cpp)
  target_link_libraries(${target} PRIVATE multiproc::multiproc)
  add_test(NAME CodecCompileFail.${case}
    COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${target})
  # They build in this tree: never at the same time (ctest -j).
  set_tests_properties(CodecCompileFail.${case} PROPERTIES LABELS unit
    RESOURCE_LOCK multiproc_build_tree)
endforeach()
set_tests_properties(CodecCompileFail.pointer PROPERTIES
  PASS_REGULAR_EXPRESSION "the address it holds means nothing there")
set_tests_properties(CodecCompileFail.class PROPERTIES
  PASS_REGULAR_EXPRESSION "MULTIPROC_CODEC_FRIEND_FIELDS")
set_tests_properties(CodecCompileFail.pointer_member PROPERTIES
  PASS_REGULAR_EXPRESSION "has[ \n]*a pointer-like member")
set_tests_properties(CodecCompileFail.too_many_fields PROPERTIES
  PASS_REGULAR_EXPRESSION "more than 24 fields")
set_tests_properties(CodecCompileFail.reference_member PROPERTIES
  PASS_REGULAR_EXPRESSION "has[ \n]*a reference member")

# Thrown text and registration after a pool exists (issue 9).
multiproc_add_test(remote_exception_test SOURCES remote_exception_test.cpp)

# User structs with no hand-written codec (issue 9).
multiproc_add_test(codec_fields_test SOURCES codec_fields_test.cpp)

# A misused task signature gives one static_assert that says what is wrong
# (issue 9). Each case also asserts that no second error follows: ctest
# fails a test whose output matches FAIL_REGULAR_EXPRESSION.
set(task_fail_cases mutable_reference unique_ptr_argument
  async_mutable_reference not_invocable)
foreach(case ${task_fail_cases})
  set(target task_compile_fail_${case}_test)
  add_executable(${target} EXCLUDE_FROM_ALL ${target}.cpp)
  target_link_libraries(${target} PRIVATE multiproc::multiproc)
  add_test(NAME TaskCompileFail.${case}
    COMMAND ${CMAKE_COMMAND} --build ${CMAKE_BINARY_DIR} --target ${target})
  set_tests_properties(TaskCompileFail.${case} PROPERTIES LABELS unit
    RESOURCE_LOCK multiproc_build_tree
    FAIL_REGULAR_EXPRESSION "invoke_result|no matching function|error:.*\n(.*\n)*.*error:")
endforeach()
set_tests_properties(TaskCompileFail.mutable_reference PROPERTIES
  PASS_REGULAR_EXPRESSION "takes a[ \n]*non-const lvalue reference: arguments are copied to the[ \n]*worker")
set_tests_properties(TaskCompileFail.unique_ptr_argument PROPERTIES
  PASS_REGULAR_EXPRESSION "an argument of this type")
set_tests_properties(TaskCompileFail.async_mutable_reference PROPERTIES
  PASS_REGULAR_EXPRESSION "takes a non-const lvalue reference: arguments are copied[ \n]*to the child")
set_tests_properties(TaskCompileFail.not_invocable PROPERTIES
  PASS_REGULAR_EXPRESSION "is not invocable with these arguments")
