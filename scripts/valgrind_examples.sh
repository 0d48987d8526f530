#!/usr/bin/env bash
# Runs every example program under valgrind memcheck, run by .ci/run.
#
#   scripts/valgrind_examples.sh [example-name...]    default: every example
#       build directory: $BUILD_DIR, default build/ (built, with the examples,
#       if it is not there yet; a normal build, no sanitizer)
#
# Each example runs through examples/run_example.py, so its output, order and
# exit status are still checked (time limits stretched by
# MULTIPROC_TEST_SLOWDOWN=10: valgrind is slow). Valgrind writes one log per
# process (--log-file=...%p): children are forks of the example, which
# valgrind follows by itself (--trace-children=yes is only about exec), and
# --child-silent-after-fork=no keeps their reports. An example fails when any
# of its processes reports an error.
#
# Leak policy. Definite and indirect leaks are errors, in the example's main
# process and in its children alike. "Still reachable" and "possibly lost"
# blocks are not: a child leaves through _exit, by design (see the README,
# Gotchas), without running destructors, so everything the parent's program
# had allocated before the fork, and the child's own objects, is still
# reachable in it when it ends; memory it truly lost is still caught as
# definite/indirect. "Possibly lost" comes from interior pointers (libstdc++
# strings, std::function small buffers) and would be noise.
#
# Suppressions: scripts/valgrind.supp, for what is not ours (see its
# comments).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh valgrind
build=${BUILD_DIR:-build}
if [[ ! -f $build/CMakeCache.txt ]]; then
  cmake -S . -B "$build" -DMULTIPROC_BUILD_EXAMPLES=ON \
    -DMULTIPROC_BUILD_TESTS=OFF -DMULTIPROC_SANITIZE=
fi
cmake --build "$build" --parallel "$(nproc)"
if grep -q '^MULTIPROC_SANITIZE:STRING=.\+' "$build/CMakeCache.txt"; then
  echo "valgrind: $build is a sanitizer build; valgrind needs a plain one" >&2
  exit 1
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
wrapper=$logs/run-under-valgrind
# run_example.py runs one executable without arguments: this wrapper is it.
cat >"$wrapper" <<EOF
#!/bin/sh
exec valgrind --quiet --tool=memcheck --error-exitcode=99 \\
  --leak-check=full --show-leak-kinds=definite,indirect \\
  --errors-for-leak-kinds=definite,indirect \\
  --trace-children=yes --child-silent-after-fork=no \\
  --track-fds=no --num-callers=30 \\
  --suppressions=$PWD/scripts/valgrind.supp \\
  --log-file="\$VALGRIND_LOG_DIR/%p.log" "\$VALGRIND_EXAMPLE"
EOF
chmod +x "$wrapper"

if (($#)); then
  names=("$@")
else
  names=()
  for source in examples/[0-9]*.cpp; do
    names+=("$(basename "$source" .cpp)")
  done
fi

failed=()
for name in "${names[@]}"; do
  echo
  echo "=== valgrind $name"
  dir=$logs/$name
  mkdir -p "$dir"
  ok=1
  if ! VALGRIND_LOG_DIR=$dir VALGRIND_EXAMPLE=$build/examples/$name \
      MULTIPROC_TEST_SLOWDOWN=10 \
      python3 examples/run_example.py "$name" "$wrapper"; then
    ok=0
  fi
  # A process that valgrind saw end normally has an ERROR SUMMARY line; one
  # killed by a signal (the examples kill some children on purpose) has
  # none, but any error it reported before dying left a stack ("at 0x...")
  # in its log, and so does every unsuppressed error or leak.
  for log in "$dir"/*.log; do
    [[ -e $log ]] || continue
    if grep -qE 'ERROR SUMMARY: [1-9]|^==[0-9]+== +(at|by) 0x' "$log"; then
      echo "--- valgrind report of process ${log##*/}:"
      cat "$log"
      ok=0
    fi
  done
  echo "$name: $(ls "$dir" | wc -l) processes checked"
  if ((!ok)); then
    failed+=("$name")
  fi
done
echo
if ((${#failed[@]})); then
  echo "valgrind: examples with errors: ${failed[*]}" >&2
  exit 1
fi
echo "valgrind: every example clean"
