# The optional multiproc::mpi target (include/multiproc/mpi.hpp, src/mpi/).
# MULTIPROC_MPI: AUTO builds it when find_package(MPI COMPONENTS CXX)
# succeeds, ON requires MPI, OFF leaves it out. It links MPI privately; the
# core target never links MPI.
set(MULTIPROC_MPI AUTO CACHE STRING "Build multiproc::mpi: AUTO, ON or OFF")
set_property(CACHE MULTIPROC_MPI PROPERTY STRINGS AUTO ON OFF)

set(MULTIPROC_HAVE_MPI OFF)
if(NOT MULTIPROC_MPI STREQUAL "OFF")
  if(MULTIPROC_MPI STREQUAL "ON")
    find_package(MPI REQUIRED COMPONENTS CXX)
  else()
    find_package(MPI QUIET COMPONENTS CXX)
  endif()
  if(MPI_CXX_FOUND)
    set(MULTIPROC_HAVE_MPI ON)
  endif()
endif()

if(MULTIPROC_HAVE_MPI)
  add_library(multiproc_mpi)
  add_library(multiproc::mpi ALIAS multiproc_mpi)
  set_target_properties(multiproc_mpi PROPERTIES EXPORT_NAME mpi
    POSITION_INDEPENDENT_CODE ON CXX_VISIBILITY_PRESET hidden)
  include(${PROJECT_SOURCE_DIR}/src/mpi/sources.cmake)
  target_include_directories(multiproc_mpi PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(multiproc_mpi
    PUBLIC multiproc
    PRIVATE MPI::MPI_CXX)
  if(BUILD_SHARED_LIBS)
    # The handshake uses the module table of src/remote/, and the relay
    # the OS layer's eventfds and polls, which a shared libmultiproc keeps
    # hidden: this library gets its own hidden copy. (Local workers come
    # through pool_engine::default_backend(), which is exported.)
    target_sources(multiproc_mpi PRIVATE
      ${PROJECT_SOURCE_DIR}/src/posix/io.cpp
      ${PROJECT_SOURCE_DIR}/src/posix/pidfd.cpp
      ${PROJECT_SOURCE_DIR}/src/posix/sys.cpp
      ${PROJECT_SOURCE_DIR}/src/remote/module_exchange.cpp
      ${PROJECT_SOURCE_DIR}/src/remote/module_scan.cpp
      ${PROJECT_SOURCE_DIR}/src/remote/module_table.cpp)
  endif()
  multiproc_set_warnings(multiproc_mpi)
  install(TARGETS multiproc_mpi EXPORT multiprocMpiTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
  install(EXPORT multiprocMpiTargets NAMESPACE multiproc::
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/multiproc)
  # How ctest launches an MPI test: 4 ranks on a 2-core machine need
  # --oversubscribe with Open MPI, and CI runs as root. FindMPI does not
  # name the vendor, so ask mpiexec.
  execute_process(COMMAND ${MPIEXEC_EXECUTABLE} --version
    OUTPUT_VARIABLE multiproc_mpiexec_version ERROR_QUIET)
  set(MULTIPROC_MPIEXEC_FLAGS ${MPIEXEC_PREFLAGS})
  if(multiproc_mpiexec_version MATCHES "Open MPI|OpenRTE")
    list(APPEND MULTIPROC_MPIEXEC_FLAGS --oversubscribe --bind-to none
         --allow-run-as-root)
  endif()
endif()
