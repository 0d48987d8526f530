#!/bin/sh
# The one command behind BENCHMARKS.md: builds the benchmarks (Release with
# debug info, in build-bench/), runs the interleaved comparison, writes
# bench/results/results.json and draws bench/results/chart.png from it.
#
#   bench/run.sh            full run (about 3 minutes on 2 CPUs)
#   bench/run.sh --quick    3 rounds, no 50/800 MB parents (about 1 minute)
#   bench/run.sh --only pool   the pool figures only (results-pool.json,
#                           pool_chart.png)
#   bench/run.sh --only start  the Part 5 start-method rows only (fork and
#                           spawn start+join, then CPython's methods:
#                           bench/start_bench.cpp, python/start_methods.py)
#   bench/run.sh --only ipc    the Part 4 rows only (locks, values, queues,
#                           connections beside Python and the native floor:
#                           bench/ipc_compare.py, results-ipc.json); a full
#                           run ends with them too
#
# Other arguments go to bench/compare.py (--rounds N, --only TEXT, --out F).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build="$root/build-bench"
python=${PYTHON:-python3}

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DMULTIPROC_BUILD_BENCH=ON -DMULTIPROC_BUILD_TESTS=OFF \
  -DMULTIPROC_BUILD_EXAMPLES=OFF >/dev/null
cmake --build "$build" --target multiproc_compare multiproc_bench \
  multiproc_sync_bench multiproc_queue_bench multiproc_start_bench -j "$(nproc)" >/dev/null

# The Part 4 rows: their own programs and table (bench/ipc_compare.py).
only_ipc=false
only_start=false
quick=""
prev_arg=""
for arg in "$@"; do
  case "$prev_arg${prev_arg:+=}$arg" in
    --only=ipc) only_ipc=true ;;
    --only=start) only_start=true ;;
  esac
  if [ "$arg" = --quick ]; then quick=--quick; fi
  prev_arg=$arg
done
run_ipc() {
  "$python" "$here/ipc_compare.py" --bin-dir "$build/bench" \
    --python "$python" $quick
}
if $only_start; then
  echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  "$build/bench/multiproc_start_bench" 200
  "$python" "$here/python/start_methods.py" 30
  exit
fi
if $only_ipc; then
  run_ipc
  exit
fi

echo "load before the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
status=0
"$python" "$here/compare.py" --bin "$build/bench/multiproc_compare" \
  --python "$python" "$@" || status=$?
case " $* " in
  *" --only "*) ;;
  *) run_ipc || status=$? ;;
esac

# The chart needs matplotlib (Debian: python3-matplotlib); use whichever
# python has it.
# Where compare.py wrote: --out F, else results-TEXT.json for --only TEXT
# (as compare.py's default_out), else results.json.
results=""
only=""
prev_arg=""
for arg in "$@"; do
  case "$prev_arg${prev_arg:+=}$arg" in
    --out=*) results=$arg ;;
    --only=*) only=$(printf '%s' "$arg" | tr -c 'A-Za-z0-9_-' '_') ;;
  esac
  prev_arg=$arg
done
if [ -z "$results" ]; then
  results="$here/results/results${only:+-$only}.json"
fi
for py in "$python" /usr/bin/python3; do
  if "$py" -c 'import matplotlib' 2>/dev/null; then
    "$py" "$here/chart.py" "$results"
    exit $status
  fi
done
echo "chart skipped: no python with matplotlib (apt-get install python3-matplotlib)" >&2
exit $status
