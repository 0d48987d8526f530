target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/live_pools.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pool.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pool_engine.cpp
  ${CMAKE_CURRENT_LIST_DIR}/pool_future.cpp
  ${CMAKE_CURRENT_LIST_DIR}/process_worker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/spawned_worker.cpp
  ${CMAKE_CURRENT_LIST_DIR}/task_failure.cpp
  ${CMAKE_CURRENT_LIST_DIR}/task_record.cpp
  ${CMAKE_CURRENT_LIST_DIR}/worker_main.cpp
  ${CMAKE_CURRENT_LIST_DIR}/worker_standby.cpp)
