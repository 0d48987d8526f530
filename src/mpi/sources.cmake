# multiproc::mpi (include/multiproc/mpi.hpp): the optional library that
# links MPI. The core target never sees these files.
target_sources(multiproc_mpi PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/agent_main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/agent_serve.cpp
  ${CMAKE_CURRENT_LIST_DIR}/byte_messages.cpp
  ${CMAKE_CURRENT_LIST_DIR}/client_relay.cpp
  ${CMAKE_CURRENT_LIST_DIR}/code_checks.cpp
  ${CMAKE_CURRENT_LIST_DIR}/handshake.cpp
  ${CMAKE_CURRENT_LIST_DIR}/local_workers.cpp
  ${CMAKE_CURRENT_LIST_DIR}/mpi_pool.cpp
  ${CMAKE_CURRENT_LIST_DIR}/poll_wait.cpp
  ${CMAKE_CURRENT_LIST_DIR}/remote_worker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/sends.cpp
  ${CMAKE_CURRENT_LIST_DIR}/world.cpp)
