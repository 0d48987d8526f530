#!/usr/bin/env bash
# The library as a shared object: build it with the examples in
# build-shared/, run the examples against it, and check what it exports.
# Only what the public headers declare may be visible (CMakeLists.txt,
# CXX_VISIBILITY_PRESET): the internals of src/ (the registry, the OS layer,
# the pool's dispatcher and workers) must not be, so that they can change
# without breaking programs linked against an installed library.
#
# The benchmarks are built here too (warnings as errors; they are not run):
# they cannot rot, and CI compiles the library once for both.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build-shared -DBUILD_SHARED_LIBS=ON -DMULTIPROC_WERROR=ON \
  -DMULTIPROC_BUILD_TESTS=OFF -DMULTIPROC_BUILD_EXAMPLES=ON \
  -DMULTIPROC_BUILD_BENCH=ON
cmake --build build-shared --parallel "$(nproc)"
ctest --test-dir build-shared -L example --output-on-failure -j "$(nproc)"

exports=$(nm -DC --defined-only build-shared/libmultiproc.so)
# Names that only src/ declares. A match means a public header stopped
# scoping its declarations, or an internal header started to.
# Only the symbol's own name counts: strong definitions and our vtables,
# not weak std instantiations whose return type or arguments are ours.
internal='^[0-9a-f]+ ([TDBR] |V (vtable|typeinfo) for )multiproc::(v[0-9]+::)?detail::(registry|process_state|sys::|pidfd::|io::|mapping::|fork_worker|worker_main|live_pools|result_channel::|remote::|default_launcher|prepare_child|child_main)'
if grep -E "$internal" <<<"$exports"; then
  echo "shared_build: internal symbols are exported (above)" >&2
  exit 1
fi
echo "shared_build: $(grep -c ' [TWVDBR] ' <<<"$exports") exported symbols, no internals"
