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
multiproc_add_compile_fail_test(CodecCompileFail.pointer
  codec_compile_fail_pointer_test "the address it holds means nothing there")
multiproc_add_compile_fail_test(CodecCompileFail.class
  codec_compile_fail_class_test "MULTIPROC_CODEC_FRIEND_FIELDS")
multiproc_add_compile_fail_test(CodecCompileFail.pointer_member
  codec_compile_fail_pointer_member_test "has[ \n]*a pointer-like member")
multiproc_add_compile_fail_test(CodecCompileFail.too_many_fields
  codec_compile_fail_too_many_fields_test "more than 24 fields")
multiproc_add_compile_fail_test(CodecCompileFail.reference_member
  codec_compile_fail_reference_member_test "has[ \n]*a reference member")

# Thrown text and registration after a pool exists (issue 9).
multiproc_add_test(remote_exception_test SOURCES remote_exception_test.cpp)

# User structs with no hand-written codec (issue 9).
multiproc_add_test(codec_fields_test SOURCES codec_fields_test.cpp)

# A misused task signature gives one static_assert that says what is wrong
# (issue 9). Each case also asserts that no second error follows: ctest
# fails a test whose output matches FAIL_REGULAR_EXPRESSION.
set(task_fail_second_error
  "invoke_result|no matching function|error:.*\n(.*\n)*.*error:")
multiproc_add_compile_fail_test(TaskCompileFail.mutable_reference
  task_compile_fail_mutable_reference_test
  "takes a[ \n]*non-const lvalue reference: arguments are copied to the[ \n]*worker"
  FAIL_REGEX "${task_fail_second_error}")
multiproc_add_compile_fail_test(TaskCompileFail.unique_ptr_argument
  task_compile_fail_unique_ptr_argument_test "an argument of this type"
  FAIL_REGEX "${task_fail_second_error}")
multiproc_add_compile_fail_test(TaskCompileFail.async_mutable_reference
  task_compile_fail_async_mutable_reference_test
  "takes a non-const lvalue reference: arguments are copied[ \n]*to the child"
  FAIL_REGEX "${task_fail_second_error}")
multiproc_add_compile_fail_test(TaskCompileFail.not_invocable
  task_compile_fail_not_invocable_test "is not invocable with these arguments"
  FAIL_REGEX "${task_fail_second_error}")
