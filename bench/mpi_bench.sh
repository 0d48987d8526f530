#!/usr/bin/env bash
# multiproc::mpi beside mpi4py.futures in one run (BENCHMARKS.md, "MPI"):
# np=4 = rank 0 + 3 agents, one worker each, on this machine.
#
#   bench/mpi_bench.sh <build dir configured with -DMULTIPROC_BUILD_BENCH=ON>
set -euo pipefail
build=${1:?usage: bench/mpi_bench.sh <build dir>}
here=$(cd "$(dirname "$0")" && pwd)
flags=(--oversubscribe --bind-to none)
if [[ $(id -u) == 0 ]]; then flags+=(--allow-run-as-root); fi
echo "== multiproc::mpi (mpiexec -n 4)"
mpiexec "${flags[@]}" -n 4 "$build/bench/multiproc_mpi_bench"
echo "== mpi4py.futures (mpiexec -n 4 /usr/bin/python3 -m mpi4py.futures)"
# Debian's python3-mpi4py is for /usr/bin/python3, not a pyenv one.
mpiexec "${flags[@]}" -n 4 /usr/bin/python3 -m mpi4py.futures \
  "$here/python/mpi4py_futures_bench.py"
