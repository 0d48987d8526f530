# The remote-call piece (multiproc/detail/remote_call.hpp): naming code as
# (module, offset) and finding it again, here or in another process.
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/code_ref.cpp
  ${CMAKE_CURRENT_LIST_DIR}/module_exchange.cpp
  ${CMAKE_CURRENT_LIST_DIR}/module_scan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/module_table.cpp)
