// A library built twice, into two directories under one file name, with
// different code and so different GNU build-ids (MULTIPROC_DIFFERING_B).
// mpi_refusal_helper's `differing_library` case loads one build on ranks 0
// and 1 and the other on ranks 2 and 3: task code in it must be refused.
extern "C" int differing_square(int x) { return x * x; }

#ifdef MULTIPROC_DIFFERING_B
// Other code in the second build, so that its build-id differs.
extern "C" int differing_b_marker() { return 2; }
#endif
