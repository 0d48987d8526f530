// A shared library the remote-call tests load with dlopen, so that they
// name code in a module that was not there when the module table was
// built (tests/remote_code_ref_test.cpp).
extern "C" int multiproc_remote_helper_triple(int x) { return 3 * x; }
