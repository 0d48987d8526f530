# The launch seam (src/launch/) below `process`: the child handle on a fork
# child, the portable request's encoding (issue 10), and the file large
# arguments travel in (issue 13).
multiproc_add_test(launch_handle_test SOURCES launch_handle_test.cpp)
multiproc_add_test(launch_request_test SOURCES launch_request_test.cpp)
multiproc_add_test(launch_arguments_test SOURCES launch_arguments_test.cpp)
