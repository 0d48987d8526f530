#!/usr/bin/env bash
# The second command: builds and runs every test (unit, example, install),
# first in a normal build with warnings as errors, then again under
# AddressSanitizer + UndefinedBehaviorSanitizer with time limits stretched
# (MULTIPROC_TEST_SLOWDOWN=3).
#
#   scripts/test.sh     build directories: $BUILD_DIR (default build/) and
#                       $ASAN_BUILD_DIR (default build-asan/)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh
jobs=$(nproc)

build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DMULTIPROC_BUILD_TESTS=ON \
  -DMULTIPROC_BUILD_EXAMPLES=ON -DMULTIPROC_WERROR=ON -DMULTIPROC_SANITIZE=
cmake --build "$build" --parallel "$jobs"
ctest --test-dir "$build" -j2 --output-on-failure

asan=${ASAN_BUILD_DIR:-build-asan}
cmake -S . -B "$asan" -DMULTIPROC_BUILD_TESTS=ON \
  -DMULTIPROC_BUILD_EXAMPLES=ON -DMULTIPROC_WERROR=ON \
  -DMULTIPROC_SANITIZE=address,undefined
cmake --build "$asan" --parallel "$jobs"
MULTIPROC_TEST_SLOWDOWN=3 ctest --test-dir "$asan" -j2 --output-on-failure
