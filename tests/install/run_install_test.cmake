# Proves that multiproc can be consumed both ways users do, by building and
# running tests/install/consumer against it. Run with cmake -P:
#
#   cmake -DMODE=find_package|add_subdirectory
#         -DSOURCE_DIR=<multiproc source> -DBINARY_DIR=<its configured build>
#         -DWORK_DIR=<scratch dir> -DGENERATOR=<generator>
#         [-DMAKE_PROGRAM=...] [-DCXX_COMPILER=...] [-DBUILD_TYPE=...]
#         [-DSANITIZE=...] [-DWITH_MPI=ON] -P run_install_test.cmake
#
# WITH_MPI: also find the `mpi` component and run a program of it.
#
# find_package:     cmake --install BINARY_DIR into WORK_DIR/prefix, then
#                   configure the consumer with CMAKE_PREFIX_PATH pointing
#                   there (and nowhere else), build it, run it.
# add_subdirectory: configure the consumer with SOURCE_DIR as a subproject,
#                   build it (this builds the library too), run it.
#
# The consumer is configured with the same generator, compiler and build
# type as the project under test.
cmake_minimum_required(VERSION 3.21)

foreach(var MODE SOURCE_DIR BINARY_DIR WORK_DIR GENERATOR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_install_test.cmake: ${var} is not set")
  endif()
endforeach()
if(NOT BUILD_TYPE)
  set(BUILD_TYPE RelWithDebInfo)
endif()

# Runs a command, echoing it; stops the test with its output on failure.
function(step)
  string(REPLACE ";" " " shown "${ARGN}")
  message(STATUS "install test (${MODE}): ${shown}")
  execute_process(COMMAND ${ARGN}
    RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "failed (${result}): ${shown}\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(work "${WORK_DIR}/${MODE}")
file(REMOVE_RECURSE "${work}")
file(MAKE_DIRECTORY "${work}")

set(configure_args
  -S "${CMAKE_CURRENT_LIST_DIR}/consumer" -B "${work}/build"
  -G "${GENERATOR}"
  -DCMAKE_BUILD_TYPE=${BUILD_TYPE}
  -DMULTIPROC_CONSUMER_MODE=${MODE}
  # Only the prefix we name may satisfy find_package.
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF)
if(WITH_MPI)
  list(APPEND configure_args -DMULTIPROC_CONSUMER_MPI=ON)
endif()
if(MAKE_PROGRAM)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()
if(CXX_COMPILER)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()

if(MODE STREQUAL "find_package")
  set(prefix "${work}/prefix")
  step(${CMAKE_COMMAND} --install "${BINARY_DIR}" --prefix "${prefix}"
       --config ${BUILD_TYPE})
  foreach(installed include/multiproc/multiproc.hpp
                    include/multiproc/process.hpp)
    if(NOT EXISTS "${prefix}/${installed}")
      message(FATAL_ERROR "cmake --install did not install ${installed}")
    endif()
  endforeach()
  list(APPEND configure_args
    -DCMAKE_PREFIX_PATH=${prefix} -DMULTIPROC_EXPECTED_PREFIX=${prefix})
elseif(MODE STREQUAL "add_subdirectory")
  list(APPEND configure_args -DMULTIPROC_SOURCE_DIR=${SOURCE_DIR})
  if(SANITIZE)
    list(APPEND configure_args -DMULTIPROC_SANITIZE=${SANITIZE})
  endif()
else()
  message(FATAL_ERROR "MODE must be find_package or add_subdirectory")
endif()

step(${CMAKE_COMMAND} ${configure_args})
step(${CMAKE_COMMAND} --build "${work}/build" --config ${BUILD_TYPE}
     --parallel 2)

find_program(consumer NAMES consumer
  PATHS "${work}/build" "${work}/build/${BUILD_TYPE}" NO_DEFAULT_PATH)
if(NOT consumer)
  message(FATAL_ERROR "the consumer was not built")
endif()
step("${consumer}")
if(NOT step_output MATCHES "consumer: Process-1 exited with 7")
  message(FATAL_ERROR "unexpected consumer output:\n${step_output}")
endif()
if(WITH_MPI)
  step("${work}/build/mpi_consumer")
  if(NOT step_output MATCHES "mpi_consumer: 1 rank, 49")
    message(FATAL_ERROR "unexpected mpi_consumer output:\n${step_output}")
  endif()
endif()
message(STATUS "install test (${MODE}): passed")
