#!/usr/bin/env bash
# The first command for a fresh machine: installs what is missing, builds the
# library and its examples, and runs every example, checking its output,
# exit status and timing (see examples/run_example.py).
#
#   scripts/examples.sh          build directory: $BUILD_DIR, default build/
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DMULTIPROC_BUILD_EXAMPLES=ON -DMULTIPROC_BUILD_TESTS=OFF
cmake --build "$build" --parallel "$(nproc)"

# The MPI example (built only with the optional multiproc::mpi) runs under
# mpiexec with 4 ranks on this one machine, as its ctest does.
mpi_launcher=(mpiexec --oversubscribe --bind-to none)
if [[ $(id -u) == 0 ]]; then
  mpi_launcher+=(--allow-run-as-root)
fi
mpi_launcher+=(-n 4)

failed=()
for source in examples/[0-9]*.cpp; do
  name=$(basename "$source" .cpp)
  echo
  echo "=== $name"
  launcher=()
  if [[ $name == *_mpi_* ]]; then
    if [[ ! -x $build/examples/$name ]] || ! command -v mpiexec >/dev/null; then
      echo "skipped: multiproc::mpi is not built here (no MPI found)"
      continue
    fi
    launcher=("${mpi_launcher[@]}")
  fi
  if ! python3 examples/run_example.py "$name" "$build/examples/$name" \
      "${launcher[@]}"; then
    failed+=("$name")
  fi
done
echo
if ((${#failed[@]})); then
  echo "examples that did not behave as expected: ${failed[*]}" >&2
  exit 1
fi
echo "all examples behaved as expected"
