#!/usr/bin/env bash
# Static checks, run by .ci/run:
#   1. clang-format: every C++ file of ours (include/, src/, tests/, examples/,
#      bench/) must already be formatted (.clang-format, Google base).
#   2. clang-tidy with .clang-tidy (close-on-exec, signal-handler and
#      bug-finder checks, warnings as errors) over every source file of the
#      library in src/; headers of include/multiproc and src/ are checked
#      through the files that include them (HeaderFilterRegex).
#
#   scripts/lint.sh [format|tidy]   default: both
#                   build directory for compile_commands.json: $TIDY_BUILD_DIR,
#                   default build-tidy/ (configured here, nothing is built)
#
# clang-tidy takes 10-20 s per file here, so files run two at a time
# ($LINT_JOBS, default 2: CI machines have 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh clang-format clang-tidy
what=${1:-all}
jobs=${LINT_JOBS:-2}

# Debian 12 ships both as version 14; prefer the versioned names so that
# the same results come out wherever several LLVMs are installed.
pick() {
  local name
  for name in "$@"; do
    if command -v "$name" >/dev/null; then
      echo "$name"
      return
    fi
  done
  echo "lint: none of $* is installed (apt-get install $2)" >&2
  exit 1
}

check_format() {
  local clang_format
  clang_format=$(pick clang-format-14 clang-format)
  local files=()
  mapfile -t files < <(git ls-files -- include src tests examples bench |
    grep -E '\.(cpp|hpp|h|cc)$')
  echo "lint: $clang_format --dry-run --Werror over ${#files[@]} files"
  if ! "$clang_format" --dry-run --Werror "${files[@]}"; then
    echo "lint: run $clang_format -i on the files above" >&2
    return 1
  fi
}

check_tidy() {
  local clang_tidy
  clang_tidy=$(pick clang-tidy-14 clang-tidy)
  local build=${TIDY_BUILD_DIR:-build-tidy}
  # Only the library: tests and examples are not held to these checks.
  cmake -S . -B "$build" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
    -DMULTIPROC_BUILD_TESTS=OFF -DMULTIPROC_BUILD_EXAMPLES=OFF \
    -DMULTIPROC_BUILD_BENCH=OFF -DMULTIPROC_SANITIZE= >/dev/null
  local files=()
  mapfile -t files < <(git ls-files -- 'src/*.cpp')
  echo "lint: $clang_tidy over ${#files[@]} files in src/, $jobs at a time"
  # Each file's output is printed in one piece once it is done; -quiet
  # drops the "N warnings generated" noise from system headers.
  local log
  log=$(mktemp -d)
  trap 'rm -rf "$log"' RETURN
  local status=0
  printf '%s\n' "${files[@]}" |
    xargs -P "$jobs" -I{} sh -c '
      out="$3/$(echo "$4" | tr / _).log"
      if "$1" -p "$2" -quiet "$4" >"$out" 2>&1; then rm -f "$out"
      else echo "lint: clang-tidy failed on $4"; fi' \
      sh "$clang_tidy" "$build" "$log" {} || status=1
  local failed
  for failed in "$log"/*.log; do
    [[ -e $failed ]] || continue
    grep -vE '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' \
      "$failed" || true
    status=1
  done
  if ((status)); then
    echo "lint: clang-tidy found problems (fix them, or NOLINT with a reason)" >&2
  else
    echo "lint: clang-tidy clean"
  fi
  return "$status"
}

status=0
python3 scripts/check_public_docs.py || status=1 # Python + Errors: on each API
case $what in
  format) check_format || status=1 ;;
  tidy) check_tidy || status=1 ;;
  all)
    check_format || status=1
    check_tidy || status=1
    ;;
  *)
    echo "usage: scripts/lint.sh [format|tidy]" >&2
    exit 2
    ;;
esac
exit "$status"
