# The launch seam: how a child is made (fork, forkserver, spawn), the handle
# that polls, waits for and signals it, the request a launcher is given, and
# which launcher a start method means.
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/anchor_thread.cpp
  ${CMAKE_CURRENT_LIST_DIR}/argument_file.cpp
  ${CMAKE_CURRENT_LIST_DIR}/child_handle.cpp
  ${CMAKE_CURRENT_LIST_DIR}/child_setup.cpp
  ${CMAKE_CURRENT_LIST_DIR}/exec_bootstrap.cpp
  ${CMAKE_CURRENT_LIST_DIR}/fork_launcher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/forkserver_child.cpp
  ${CMAKE_CURRENT_LIST_DIR}/forkserver_client.cpp
  ${CMAKE_CURRENT_LIST_DIR}/forkserver_handle.cpp
  ${CMAKE_CURRENT_LIST_DIR}/forkserver_launcher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/forkserver_protocol.cpp
  ${CMAKE_CURRENT_LIST_DIR}/forkserver_server.cpp
  ${CMAKE_CURRENT_LIST_DIR}/kernel_child.cpp
  ${CMAKE_CURRENT_LIST_DIR}/launcher_for.cpp
  ${CMAKE_CURRENT_LIST_DIR}/portable_request.cpp
  ${CMAKE_CURRENT_LIST_DIR}/spawn_launcher.cpp
  ${CMAKE_CURRENT_LIST_DIR}/spawn_self.cpp)
