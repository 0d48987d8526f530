# multiproc::mpi (label `mpi`): built only with the optional target. Each
# test is one mpiexec launch of 4 ranks (many cases per launch: each launch
# costs 0.3-0.6 s), serialized by RESOURCE_LOCK mpi (4 ranks on 2 cores),
# with a timeout. Sanitizer builds skip them: Open MPI's own leaks and its
# shared memory are reported as ours (see README, "MPI").
if(NOT MULTIPROC_HAVE_MPI OR MULTIPROC_SANITIZE)
  return()
endif()

set(multiproc_mpiexec ${MPIEXEC_EXECUTABLE} ${MULTIPROC_MPIEXEC_FLAGS})

add_executable(mpi_world_test mpi/mpi_world_test.cpp)
target_link_libraries(mpi_world_test PRIVATE multiproc::mpi GTest::gtest
  ${CMAKE_DL_LIBS})
multiproc_set_warnings(mpi_world_test)
# Loaded by the test after its world exists (dlopen), never linked.
add_library(mpi_late_library SHARED mpi/mpi_late_library.cpp)
add_dependencies(mpi_world_test mpi_late_library)
target_compile_definitions(mpi_world_test PRIVATE
  MULTIPROC_LATE_LIBRARY="$<TARGET_FILE:mpi_late_library>")

function(multiproc_add_mpi_test name ranks)
  add_test(NAME ${name} COMMAND ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS mpi RESOURCE_LOCK mpi
    TIMEOUT 60 ENVIRONMENT MULTIPROC_EXPECTED_RANKS=${ranks})
endfunction()

multiproc_add_mpi_test(mpi.world_np4 4 ${multiproc_mpiexec}
  ${MPIEXEC_NUMPROC_FLAG} 4 $<TARGET_FILE:mpi_world_test>)
# The same over loopback TCP, Open MPI's other transport.
if(multiproc_mpiexec_version MATCHES "Open MPI|OpenRTE")
  multiproc_add_mpi_test(mpi.world_np4_tcp 4 ${multiproc_mpiexec}
    --mca pml ob1 --mca btl tcp,self
    ${MPIEXEC_NUMPROC_FLAG} 4 $<TARGET_FILE:mpi_world_test>)
endif()
# Without a launcher: one rank, local workers.
multiproc_add_mpi_test(mpi.world_no_launcher 1 $<TARGET_FILE:mpi_world_test>)

add_executable(mpi_local_workers_test mpi/mpi_local_workers_test.cpp)
target_link_libraries(mpi_local_workers_test PRIVATE multiproc::mpi
  GTest::gtest)
multiproc_set_warnings(mpi_local_workers_test)
multiproc_add_mpi_test(mpi.local_workers_np4 4 ${multiproc_mpiexec}
  ${MPIEXEC_NUMPROC_FLAG} 4 $<TARGET_FILE:mpi_local_workers_test>)
multiproc_add_mpi_test(mpi.local_workers_no_launcher 1
  $<TARGET_FILE:mpi_local_workers_test>)

# Links the one internal file it tests, as a plain MPI program (2 ranks,
# about 4.5 GiB of memory between them).
add_executable(mpi_byte_messages_test mpi/mpi_byte_messages_test.cpp
  ${PROJECT_SOURCE_DIR}/src/mpi/byte_messages.cpp)
target_include_directories(mpi_byte_messages_test PRIVATE
  ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(mpi_byte_messages_test PRIVATE MPI::MPI_CXX)
target_compile_features(mpi_byte_messages_test PRIVATE cxx_std_20)
multiproc_set_warnings(mpi_byte_messages_test)
multiproc_add_mpi_test(mpi.messages_over_2_gib 2 ${multiproc_mpiexec}
  ${MPIEXEC_NUMPROC_FLAG} 2 $<TARGET_FILE:mpi_byte_messages_test>)
# 15 s quiet (filling, sending and checking 2 GiB); more under load.
set_tests_properties(mpi.messages_over_2_gib PROPERTIES TIMEOUT 240
  LABELS "mpi;slow")

add_executable(mpi_refusal_helper mpi/mpi_refusal_helper.cpp)
add_executable(mpi_refusal_other_helper mpi/mpi_refusal_helper.cpp)
target_compile_definitions(mpi_refusal_other_helper PRIVATE
  MULTIPROC_OTHER_EXECUTABLE)
foreach(helper mpi_refusal_helper mpi_refusal_other_helper)
  target_link_libraries(${helper} PRIVATE multiproc::mpi MPI::MPI_CXX)
  multiproc_set_warnings(${helper})
endforeach()
multiproc_add_mpi_test(mpi.refuses_a_late_rank 4 ${multiproc_mpiexec}
  ${MPIEXEC_NUMPROC_FLAG} 3 $<TARGET_FILE:mpi_refusal_helper> late
  : ${MPIEXEC_NUMPROC_FLAG} 1 $<TARGET_FILE:mpi_refusal_helper> silent)
multiproc_add_mpi_test(mpi.refuses_another_executable 4 ${multiproc_mpiexec}
  ${MPIEXEC_NUMPROC_FLAG} 3 $<TARGET_FILE:mpi_refusal_helper> other_executable
  : ${MPIEXEC_NUMPROC_FLAG} 1 $<TARGET_FILE:mpi_refusal_other_helper>
  other_executable)
# One library, two builds (other code, other build-id) under one file name
# in two directories; ranks 2-3 load the second.
foreach(variant a b)
  add_library(mpi_differing_code_${variant} SHARED
    mpi/mpi_differing_code.cpp)
  set_target_properties(mpi_differing_code_${variant} PROPERTIES
    OUTPUT_NAME mpi_differing_code
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/differing_${variant})
  add_dependencies(mpi_refusal_helper mpi_differing_code_${variant})
endforeach()
target_compile_definitions(mpi_differing_code_b PRIVATE MULTIPROC_DIFFERING_B)
target_link_libraries(mpi_refusal_helper PRIVATE ${CMAKE_DL_LIBS})
# Each part of the MPMD line gets its own variable: Open MPI's -x, MPICH's
# (Hydra's) -env.
if(multiproc_mpiexec_version MATCHES "Open MPI|OpenRTE")
  set(multiproc_part_env_a
    -x MULTIPROC_DIFFERING_LIBRARY=$<TARGET_FILE:mpi_differing_code_a>)
  set(multiproc_part_env_b
    -x MULTIPROC_DIFFERING_LIBRARY=$<TARGET_FILE:mpi_differing_code_b>)
elseif(multiproc_mpiexec_version MATCHES "HYDRA")
  set(multiproc_part_env_a
    -env MULTIPROC_DIFFERING_LIBRARY $<TARGET_FILE:mpi_differing_code_a>)
  set(multiproc_part_env_b
    -env MULTIPROC_DIFFERING_LIBRARY $<TARGET_FILE:mpi_differing_code_b>)
endif()
if(DEFINED multiproc_part_env_a)
  multiproc_add_mpi_test(mpi.refuses_code_in_a_library_that_differs 4
    ${multiproc_mpiexec}
    ${MPIEXEC_NUMPROC_FLAG} 2 ${multiproc_part_env_a}
    $<TARGET_FILE:mpi_refusal_helper> differing_library
    : ${MPIEXEC_NUMPROC_FLAG} 2 ${multiproc_part_env_b}
    $<TARGET_FILE:mpi_refusal_helper> differing_library)
endif()
multiproc_add_mpi_test(mpi.refuses_a_world_after_mpi_init 2
  ${multiproc_mpiexec}
  ${MPIEXEC_NUMPROC_FLAG} 2 $<TARGET_FILE:mpi_refusal_helper> after_init)

# What `ctest -L mpi` runs, as one target (scripts/mpich_tests.sh builds
# only these against a second MPI).
add_custom_target(multiproc_mpi_checks)
add_dependencies(multiproc_mpi_checks mpi_world_test mpi_local_workers_test
  mpi_byte_messages_test mpi_refusal_helper mpi_refusal_other_helper)
if(TARGET multiproc_example_60_mpi_batch)  # examples/ comes first
  add_dependencies(multiproc_mpi_checks multiproc_example_60_mpi_batch)
endif()
