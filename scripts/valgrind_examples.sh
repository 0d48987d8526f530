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
# Error policy. Any memory error (invalid read/write, use of uninitialised
# values, bad free...) in any process fails the example.
#
# Leak policy. In the example's main process, definite and indirect leaks
# fail it; "still reachable" and "possibly lost" (interior pointers into
# libstdc++ strings and the like) do not. In forked children, leaks are
# printed but do not fail: a child leaves through _exit by design (README,
# Gotchas) without running destructors, so the whole heap it inherited is
# still there when it ends; and a child forked by a thread other than main
# (the pool's dispatcher, the kill_on_parent_death anchor) has lost the
# other threads' stacks, so whatever only they pointed at (the pool object
# in main's frame, say) reads as "definitely lost" though nothing leaked;
# and a child abandons, on purpose, the registry entries it inherited (they
# cannot be destroyed safely after fork), which also reads as lost (seen in
# 09_parent_process's grandchild). No suppression can tell those from a real
# child leak.
#
# Examples that cannot run under valgrind are skipped (see `skip` below).
#
# Suppressions: scripts/valgrind.supp, for what is not ours (see its
# comments).
#
# Valgrind must know pidfd_open (syscall 434): Debian 12's valgrind 3.19
# does not ("WARNING: unhandled amd64-linux syscall: 434", then ENOSYS and
# every start() fails). When the installed one lacks it, Debian 13's valgrind
# package is fetched with apt-get download (a private package list; nothing
# on the machine changes) and unpacked into $VALGRIND_HOME (default
# build-valgrind-tool/). Its tools are static and its launcher needs only
# glibc 2.34, so it runs on Debian 12; glibc's debug symbols come from
# Debian 12's libc6-dbg, which the valgrind package installs.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/.."

scripts/bootstrap.sh valgrind

# The URI of the Debian archive this machine's apt uses (deb822 or
# one-line format), so that nothing here names a mirror of its own.
debian_mirror() {
  local uri
  uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources |
    awk '$2 ~ /\/debian\/?$/ {print $2; exit}' || true)
  if [[ -z $uri ]]; then
    uri=$(grep -hs '^deb ' /etc/apt/sources.list |
      awk '$2 ~ /\/debian\/?$/ {print $2; exit}' || true)
  fi
  echo "$uri"
}

# Prints the command that runs a valgrind that knows pidfd_open.
find_valgrind() {
  # Debian's own python3 (python3 on the PATH may be a wrapper script).
  local python=/usr/bin/python3
  [[ -x $python ]] || python=$(command -v python3)
  local probe=(-q --tool=none --trace-children=yes "$python"
    -c 'import os; os.close(os.pidfd_open(os.getpid()))')
  if valgrind "${probe[@]}" 2>/dev/null; then
    echo valgrind
    return
  fi
  local home=${VALGRIND_HOME:-$PWD/build-valgrind-tool}
  local bin=$home/root/usr/bin/valgrind.bin
  if [[ ! -x $bin ]]; then
    echo "valgrind: $(valgrind --version) lacks pidfd_open;" \
         "fetching Debian 13's valgrind into $home" >&2
    rm -rf "$home"
    mkdir -p "$home/lists/partial" "$home/cache/archives/partial"
    # The machine's own Debian mirror, with the next release's suite.
    local mirror
    mirror=$(debian_mirror)
    if [[ -z $mirror ]]; then
      echo "valgrind: no Debian mirror configured in /etc/apt" >&2
      return 1
    fi
    echo "deb $mirror trixie main" >"$home/sources.list"
    local apt=(-o "Dir::Etc::sourcelist=$home/sources.list"
      -o Dir::Etc::sourceparts=/dev/null -o "Dir::State::Lists=$home/lists"
      -o "Dir::Cache=$home/cache" -o APT::Sandbox::User=root)
    if ! apt-get "${apt[@]}" -qq update >&2 ||
      ! (cd "$home" && apt-get "${apt[@]}" -qq download valgrind >&2) ||
      ! dpkg-deb -x "$home"/valgrind_*.deb "$home/root"; then
      echo "valgrind: could not fetch a newer valgrind" >&2
      return 1
    fi
    rm -rf "$home/lists" "$home/cache"
  fi
  if ! VALGRIND_LIB=$home/root/usr/libexec/valgrind \
      "$bin" "${probe[@]}"; then
    echo "valgrind: $bin does not run pidfd_open either" >&2
    return 1
  fi
  echo "env VALGRIND_LIB=$home/root/usr/libexec/valgrind $bin"
}
if ! valgrind_command=$(find_valgrind); then
  # Not a verdict on the code: this machine cannot provide a valgrind that
  # runs pidfds. Say so loudly and leave the memcheck to a machine that can.
  echo "valgrind: SKIPPED: no valgrind here knows pidfd_open" >&2
  exit 0
fi
echo "valgrind: using $valgrind_command ($($valgrind_command --version))"
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
# Not --quiet: with it, a process without errors writes no ERROR SUMMARY,
# and the summary is how a process that ended is told from one killed.
cat >"$wrapper" <<EOF
#!/bin/sh
echo \$\$ >"\$VALGRIND_LOG_DIR/main.pid"
exec $valgrind_command --tool=memcheck --error-exitcode=99 \\
  --leak-check=full --show-leak-kinds=definite,indirect \\
  --errors-for-leak-kinds=none \\
  --trace-children=yes --child-silent-after-fork=no \\
  --track-fds=no --num-callers=30 \\
  --suppressions=$PWD/scripts/valgrind.supp \\
  --log-file="\$VALGRIND_LOG_DIR/%p.log" "\$VALGRIND_EXAMPLE"
EOF
chmod +x "$wrapper"

# No valgrind release handles pidfd_send_signal (syscall 424; checked up to
# 3.27): it fails with ENOSYS, so terminate(), kill(), the SIGTERM to daemon
# children at exit and the pool's kill of a timed-out worker throw or do
# nothing. The examples built on them cannot run here (the others still
# cover fork, join, wait, exceptions, parent_process and the pool):
skip=(
  06_daemon                # SIGTERM to the daemon at exit
  07_terminate_kill        # terminate() and kill()
  11_kill_on_parent_death  # kill() of the middle process
  12_pool                  # SIGKILL to a worker past its timeout
  16_lock_owner_died       # kill() of the holder
  22_queue_producer_killed # kill() of the producer
  # Valgrind's operator new aborts where it should throw std::bad_alloc
  # ("Valgrind cannot throw exceptions"): the memory caps of 40 cannot be
  # seen there. The limits tests cover them in the normal build.
  40_memory_caps
  # Spawn children are exec'd copies of the example, and valgrind runs an
  # exec'd program natively unless --trace-children=yes; with it, each copy
  # is a second valgrind start (seconds each). The parent side (posix_spawn,
  # pidfd, joins) is the fork examples' path; ASan and TSan cover both.
  50_join_spawn
  51_threaded_server_spawn
  52_join_forkserver       # its children are forks of an exec'd server
  53_pool_spawn
  # An MPI job (optional multiproc::mpi): Open MPI's own leaks and shared
  # memory would be reported, and its timed-out item needs the kill above.
  60_mpi_batch
)
if (($#)); then
  names=("$@")
else
  names=()
  for source in examples/[0-9]*.cpp; do
    name=$(basename "$source" .cpp)
    if [[ " ${skip[*]} " == *" $name "* ]]; then
      echo "valgrind: skipping $name (see skip)"
    else
      names+=("$name")
    fi
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
      MULTIPROC_TEST_SLOWDOWN=4 \
      python3 examples/run_example.py "$name" "$wrapper"; then
    ok=0
  fi
  # A process that valgrind saw end normally has an ERROR SUMMARY line; one
  # killed by a signal (the examples kill some children on purpose) has
  # none, but any error it reported before dying left a stack ("at 0x...")
  # in its log, and so does every unsuppressed error or leak.
  main_pid=$(cat "$dir/main.pid" 2>/dev/null || echo none)
  for log in "$dir"/*.log; do
    [[ -e $log ]] || continue
    pid=${log##*/}
    pid=${pid%.log}
    # Memory errors (leaks are not counted there: --errors-for-leak-kinds
    # is none, so that a child's leaks do not change its exit code), and
    # definite/indirect leak records.
    errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' "$log")
    leaks=$(grep -cE 'are (definitely|indirectly) lost in loss record' \
      "$log" || true)
    if [[ -z $errors ]]; then
      # Killed: no summary, and no leak check either; any stack is an error.
      grep -qE '^==[0-9]+== +(at|by) 0x' "$log" && errors=1 || errors=0
    fi
    if [[ $pid == "$main_pid" ]]; then
      bad=$((errors + leaks))
    else
      bad=$errors
    fi
    if ((bad > 0)); then
      echo "--- valgrind: errors in process $pid ($([[ $pid == "$main_pid" ]] &&
        echo main || echo child)):"
      cat "$log"
      ok=0
    elif ((leaks > 0)); then
      echo "--- valgrind: child $pid: $leaks leak records, not counted" \
        "(see the leak policy at the top of this script)"
    fi
  done
  echo "$name: $(find "$dir" -name "*.log" | wc -l) processes checked"
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
