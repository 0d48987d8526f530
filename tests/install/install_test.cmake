# Included from tests/CMakeLists.txt: registers the consumer tests (label
# `install`), which prove that find_package(multiproc CONFIG) after
# `cmake --install`, and add_subdirectory(), both give a working
# multiproc::multiproc. See run_install_test.cmake.
# The MPI consumer only in plain builds: under a sanitizer, Open MPI's own
# allocations at exit read as leaks (the MPI tests skip sanitizers too).
set(multiproc_install_test_mpi ${MULTIPROC_HAVE_MPI})
if(MULTIPROC_SANITIZE)
  set(multiproc_install_test_mpi OFF)
endif()
# add_subdirectory compiles the whole library again inside the consumer: in
# a sanitizer build that proves nothing about packaging that the plain
# build's run has not, and costs CI minutes of a core, so only find_package
# runs there.
set(multiproc_install_modes find_package add_subdirectory)
if(MULTIPROC_SANITIZE)
  set(multiproc_install_modes find_package)
endif()
foreach(mode ${multiproc_install_modes})
  add_test(NAME install.${mode}
    COMMAND ${CMAKE_COMMAND}
      -DMODE=${mode}
      -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
      -DBINARY_DIR=${PROJECT_BINARY_DIR}
      -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/install_test
      -DGENERATOR=${CMAKE_GENERATOR}
      -DMAKE_PROGRAM=${CMAKE_MAKE_PROGRAM}
      -DCXX_COMPILER=${CMAKE_CXX_COMPILER}
      -DBUILD_TYPE=$<CONFIG>
      -DSANITIZE=${MULTIPROC_SANITIZE}
      -DWITH_MPI=${multiproc_install_test_mpi}
      -P ${CMAKE_CURRENT_LIST_DIR}/run_install_test.cmake)
  set_tests_properties(install.${mode} PROPERTIES LABELS install TIMEOUT 900)
endforeach()
