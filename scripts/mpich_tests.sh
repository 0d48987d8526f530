#!/usr/bin/env bash
# multiproc::mpi against a second MPI: MPICH (Hydra's mpiexec, the ch4:ucx
# device on Debian 12) beside the Open MPI that scripts/test.sh uses. Only
# the MPI tests and the MPI example are built and run (ctest label `mpi`),
# in build-mpich/. Needs `mpich libmpich-dev` (.ci/run installs them; they
# leave Open MPI the system's default `mpicc`/`mpiexec`).
set -euo pipefail
cd "$(dirname "$0")/.."

build=${MPICH_BUILD_DIR:-build-mpich}
cmake -S . -B "$build" -DMULTIPROC_BUILD_TESTS=ON \
  -DMULTIPROC_BUILD_EXAMPLES=ON -DMULTIPROC_WERROR=ON -DMULTIPROC_SANITIZE= \
  -DMULTIPROC_MPI=ON -DMPI_C_COMPILER=/usr/bin/mpicc.mpich \
  -DMPI_CXX_COMPILER=/usr/bin/mpicxx.mpich \
  -DMPIEXEC_EXECUTABLE=/usr/bin/mpiexec.mpich
cmake --build "$build" --parallel "$(nproc)" --target multiproc_mpi_checks
ctest --test-dir "$build" -L mpi --output-on-failure
