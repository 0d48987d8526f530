#!/usr/bin/env python3
"""Part 4 rows side by side: multiproc, Python 3.11 and the native floor.

Runs the Part 4 bench programs (multiproc_sync_bench, multiproc_queue_bench)
and their Python counterparts (bench/python/sync_cases.py, queue_cases.py)
one after the other in one run, then prints each API.md speed-target row
with its ratio to Python and to the floor measured in the same run, and
PASS/MISS against the target; writes bench/results/results-ipc.json.

    bench/run.sh --only ipc [--quick]
    python3 bench/ipc_compare.py --bin-dir build-bench/bench [--quick]
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = re.compile(r"^(.*?)\s+([0-9.]+)\s+(\S+)\s+\(([0-9.]+) \.\. ([0-9.]+)\)$")

# (row, multiproc line, Python line, floor line, target): a target is
# ("x", k) for "at least k times the floor", ("abs", v) for "at least v".
ROWS = [
    ("lock acquire+release, uncontended", "lock acquire+release",
     "python Lock acquire+release", "robust mutex pairs (floor)",
     ("abs", 35e6)),
    ("value<int> locked ++, 1 process", "value<int> locked ++",
     "python Value locked += 1", "robust mutex pairs (floor)",
     ("abs", 18e6)),
    ("value<int> locked ++, 2 processes", "value<int> locked ++, 2 procs",
     "python Value locked += 1, 2 procs", "robust mutex 2 procs (floor)",
     ("abs", 7.4e6)),
    ("lock handoff, split", "lock handoff split", "python Lock handoff split",
     "futex ping-pong split (floor)", ("x", 0.9)),
    ("lock handoff, same CPU", "lock handoff same", "python Lock handoff same",
     "futex ping-pong same (floor)", ("x", 0.9)),
    ("queue<int64> 1 -> 1, split", "queue<int64> 1->1 split",
     "python Queue ints 1->1 split", None, ("abs", 10e6)),
    ("queue 1 MiB items, split (MB/s)", "queue<vector<byte>> 1 MiB split",
     "python Queue 1 MiB bytes split", None, ("abs", 2500)),
    ("queue request/reply ping-pong", "queue ping-pong split",
     "python Queue ping-pong split", "futex ping-pong split (floor)",
     ("x", 0.9)),
    ("queue<int64> 4 -> 4 (2 CPUs)", "queue<int64> 4->4 (2 CPUs)", None, None,
     None),
    ("connection<int64> one way", "connection<int64> one way split",
     "python Pipe(False) ints one way split", None, ("abs", 1e6)),
    ("connection<> 1 MiB send_bytes (MB/s)",
     "connection<> 1 MiB send_bytes split",
     "python Pipe(False) 1 MiB send_bytes split", None, ("abs", 1500)),
]


def run(command):
    print("ipc: " + " ".join(command), file=sys.stderr, flush=True)
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    lines = {}
    for line in out.stdout.splitlines():
        m = LINE.match(line.strip())
        if m:
            lines[m.group(1).strip()] = {
                "median": float(m.group(2)), "unit": m.group(3),
                "low": float(m.group(4)), "high": float(m.group(5))}
    return lines


def fmt(value):
    if value is None:
        return "—"
    for scale, suffix in ((1e6, " M"), (1e3, " k")):
        if value >= scale:
            return "%.2f%s" % (value / scale, suffix)
    return "%.0f" % value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin-dir", default=os.path.join(
        os.path.dirname(HERE), "build-bench", "bench"))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", default=os.path.join(
        HERE, "results", "results-ipc.json"))
    args = parser.parse_args()
    quick = ["--quick"] if args.quick else []
    with open("/proc/loadavg") as f:
        load_before = f.read().split()[:3]
    measured = {}
    for program in ("multiproc_sync_bench", "multiproc_queue_bench"):
        measured.update(run([os.path.join(args.bin_dir, program)] + quick))
    for script in ("sync_cases.py", "queue_cases.py"):
        measured.update(run([args.python, os.path.join(HERE, "python", script)]
                            + quick))

    table = []
    print("| row | multiproc | Python 3.11 | floor (same run) | × Python | "
          "× floor | target | |")
    print("|---|---:|---:|---:|---:|---:|---|---|")
    for name, ours, python, floor, target in ROWS:
        got = measured.get(ours, {}).get("median")
        py = measured.get(python, {}).get("median") if python else None
        fl = measured.get(floor, {}).get("median") if floor else None
        verdict = ""
        target_text = ""
        if target and got is not None:
            kind, k = target
            if kind == "x" and fl:
                target_text = "≥ %.1f× floor" % k
                verdict = "PASS" if got >= k * fl else "MISS"
            elif kind == "abs":
                target_text = "≥ " + fmt(k)
                verdict = "PASS" if got >= k else "MISS"
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (
            name, fmt(got), fmt(py), fmt(fl),
            "%.1f×" % (got / py) if got and py else "—",
            "%.2f×" % (got / fl) if got and fl else "—",
            target_text, verdict))
        table.append({"row": name, "multiproc": got, "python": py,
                      "floor": fl, "target": target_text,
                      "verdict": verdict})
    with open("/proc/loadavg") as f:
        load_after = f.read().split()[:3]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"when": datetime.datetime.now().isoformat(timespec="seconds"),
                   "machine": platform.node(), "cpus": os.cpu_count(),
                   "quick": args.quick, "load_before": load_before,
                   "load_after": load_after, "lines": measured,
                   "rows": table}, f, indent=1)
    print("ipc: wrote %s (load %s before, %s after)" % (
        args.out, " ".join(load_before), " ".join(load_after)),
        file=sys.stderr)


if __name__ == "__main__":
    main()
