// A library that mpi_world_test loads after its world exists, so that the
// agents' module maps do not know it: task code in it is refused at submit.
extern "C" int late_square(int x) { return x * x; }
