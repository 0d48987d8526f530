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

failed=()
for source in examples/[0-9]*.cpp; do
  name=$(basename "$source" .cpp)
  echo
  echo "=== $name"
  if ! python3 examples/run_example.py "$name" "$build/examples/$name"; then
    failed+=("$name")
  fi
done
echo
if ((${#failed[@]})); then
  echo "examples that did not behave as expected: ${failed[*]}" >&2
  exit 1
fi
echo "all examples behaved as expected"
