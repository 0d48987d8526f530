# Futures, async/call and the result codec (issue 4).
multiproc_add_test(codec_roundtrip_test SOURCES codec_roundtrip_test.cpp)
multiproc_add_test(future_async_test SOURCES future_async_test.cpp)
multiproc_add_test(future_exception_test SOURCES future_exception_test.cpp)
multiproc_add_test(future_lifetime_test SOURCES future_lifetime_test.cpp
  LABELS slow)
multiproc_add_test(future_codec_compile_test SOURCES future_codec_compile_test.cpp)

# cereal is optional: its test is built when the headers are there.
find_path(MULTIPROC_CEREAL_INCLUDE_DIR cereal/archives/binary.hpp)
if(MULTIPROC_CEREAL AND MULTIPROC_CEREAL_INCLUDE_DIR)
  multiproc_add_test(codec_cereal_test SOURCES codec_cereal_test.cpp)
endif()
