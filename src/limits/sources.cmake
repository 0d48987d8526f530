# Per-child limits and usage (issue 15): checking a `limits` and applying it
# in the child, a pool task's own limits and usage in its worker, and what a
# death means when a cap caused it.
target_sources(multiproc PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/death_cause.cpp
  ${CMAKE_CURRENT_LIST_DIR}/plan.cpp
  ${CMAKE_CURRENT_LIST_DIR}/task_scope.cpp
  ${CMAKE_CURRENT_LIST_DIR}/usage_from.cpp)
