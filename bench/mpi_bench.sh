#!/usr/bin/env bash
# multiproc::mpi beside mpi4py.futures and Dask in one run (BENCHMARKS.md,
# "MPI"): np=4 = rank 0 + 3 agents, one worker each, on this machine; Dask
# with a LocalCluster of 3 worker processes. The Python rows need
# python3-mpi4py and python3-distributed (scripts/bootstrap.sh with
# MULTIPROC_BOOTSTRAP_MPI=1); a missing one is skipped, with a line.
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
if /usr/bin/python3 -c 'import mpi4py' 2>/dev/null; then
  mpiexec "${flags[@]}" -n 4 /usr/bin/python3 -m mpi4py.futures \
    "$here/python/mpi4py_futures_bench.py"
else
  echo "(skipped: no python3-mpi4py)"
fi
echo "== Dask distributed (LocalCluster, 3 worker processes)"
if /usr/bin/python3 -c 'import distributed' 2>/dev/null; then
  # Its deprecation chatter goes to stderr; the rows to stdout.
  /usr/bin/python3 "$here/python/dask_bench.py" 2>/dev/null
else
  echo "(skipped: no python3-distributed)"
fi
