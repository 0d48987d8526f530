# The remote-call piece: naming code as (module, offset, build-id).
# A library the tests dlopen after the module table was built.
add_library(multiproc_remote_helper_lib MODULE helpers/remote_helper_lib.cpp)
multiproc_set_warnings(multiproc_remote_helper_lib)
multiproc_add_test(remote_code_ref_test SOURCES remote_code_ref_test.cpp
  LABELS remote)
target_compile_definitions(remote_code_ref_test PRIVATE
  MULTIPROC_REMOTE_HELPER_LIB="$<TARGET_FILE:multiproc_remote_helper_lib>")
target_link_libraries(remote_code_ref_test PRIVATE ${CMAKE_DL_LIBS})
add_dependencies(remote_code_ref_test multiproc_remote_helper_lib)
