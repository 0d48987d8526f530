#!/usr/bin/env python3
"""Side-by-side benchmark: multiproc, the raw floor, CPython, Boost.Process.

Runs every case in interleaved rounds (each round runs a block of every
case, in a fresh shuffled order), so machine noise hits all implementations
alike; pools the samples; prints medians, p10/p90, the ratio to the floor
and PASS/MISS per target; writes a JSON results file for bench/chart.py.

Usually started through bench/run.sh, which builds first:

    bench/run.sh [--quick]
    bench/run.sh --only pool        # the pool figures only
    python3 bench/compare.py --bin build-bench/bench/multiproc_compare [--quick]
"""

import argparse
import datetime
import json
import os
import platform
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY_CASES = os.path.join(HERE, "python", "mp_cases.py")
PY_POOL_CASES = os.path.join(HERE, "python", "pool_cases.py")


class Row:
    """One measured line of the table: a case, maybe from a large parent."""

    def __init__(self, figure, case, runner, full, quick, ballast_mb=0,
                 stride=1, in_quick=True, warmup=1):
        self.figure = figure
        self.case = case
        self.runner = runner  # "native" or "python"
        self.iterations = {"full": full, "quick": quick}
        self.ballast_mb = ballast_mb
        self.stride = stride  # takes part in every stride-th round
        self.in_quick = in_quick
        self.warmup = warmup
        self.samples = {}  # metric -> [values]
        self.failure = None

    @property
    def label(self):
        impl = self.case.split("/", 1)[1]
        return impl + ("@%dMB" % self.ballast_mb if self.ballast_mb else "")

    @property
    def key(self):
        return self.case + ("@%dMB" % self.ballast_mb if self.ballast_mb else "")


def plan():
    n, p = "native", "python"
    rows = [
        # (1) start+join of an empty callable; (6) CPython's start methods.
        Row("startjoin", "startjoin/raw_fork_waitpid", n, 40, 15),
        Row("startjoin", "startjoin/multiproc", n, 40, 15),
        Row("startjoin", "startjoin/raw_posix_spawn_true", n, 20, 8),
        Row("startjoin", "startjoin/boost_v2_true", n, 20, 8),
        Row("startjoin", "startjoin/cpython_fork", p, 15, 5),
        Row("startjoin", "startjoin/cpython_forkserver", p, 6, 3),
        Row("startjoin", "startjoin/cpython_spawn", p, 2, 1),
        # (1) again from a parent holding 200 MB of touched memory.
        Row("startjoin200", "startjoin/raw_fork_waitpid", n, 8, 4, 200),
        Row("startjoin200", "startjoin/multiproc", n, 8, 4, 200),
        Row("startjoin200", "startjoin/cpython_fork", p, 5, 2, 200),
        # (2) join wake latency.
        Row("wake", "wake/raw_waitpid", n, 25, 10),
        Row("wake", "wake/multiproc", n, 25, 10),
        Row("wake", "wake/multiproc_exit_in_callable", n, 25, 10),
        Row("wake", "wake/cpython_fork", p, 25, 10),
        # (3) join(50 ms) overshoot on a live child.
        Row("overshoot", "overshoot/raw_poll_pidfd", n, 6, 3),
        Row("overshoot", "overshoot/multiproc", n, 6, 3),
        Row("overshoot", "overshoot/cpython_fork", p, 6, 3),
        # (4) is_alive() on a live child (each sample: mean of 10,000 calls).
        Row("is_alive", "is_alive/raw_waitid_pidfd", n, 10, 5),
        Row("is_alive", "is_alive/multiproc", n, 10, 5),
        Row("is_alive", "is_alive/cpython_fork", p, 5, 3),
        # (5) 2,000 concurrent children sleeping 100 ms.
        Row("children2000", "children2000/raw_fork_waitpid", n, 1, 1,
            warmup=0),
        Row("children2000", "children2000/multiproc", n, 1, 1, warmup=0),
        Row("children2000", "children2000/cpython_fork", p, 1, 1, stride=3,
            warmup=0),
        # Fork cost against parent size (0 and 200 MB are above).
        Row("forksize", "startjoin/raw_fork_waitpid", n, 8, 0, 50, 2, False),
        Row("forksize", "startjoin/multiproc", n, 8, 0, 50, 2, False),
        Row("forksize", "startjoin/raw_fork_waitpid", n, 4, 0, 800, 2, False),
        Row("forksize", "startjoin/multiproc", n, 4, 0, 800, 2, False),
        # Pools (bench/harness/pool_cases.cpp, bench/python/pool_cases.py):
        # 2 workers; every case creates and warms its pool itself.
        # (P1) tiny-task throughput, f(x) = x, 20,000 tasks a sample
        # (ProcessPoolExecutor: 5,000).
        Row("pool_tiny", "pool_tiny/multiproc_submit", n, 3, 2, warmup=0),
        Row("pool_tiny", "pool_tiny/multiproc_map_c1", n, 3, 2, warmup=0),
        Row("pool_tiny", "pool_tiny/multiproc_imap_c1", n, 3, 2, warmup=0),
        Row("pool_tiny", "pool_tiny/multiproc_imap_unordered_c1", n, 3, 2,
            warmup=0),
        Row("pool_tiny", "pool_tiny/multiproc_map_default", n, 3, 2,
            warmup=0),
        Row("pool_tiny", "pool_tiny/cpython_pool_map_c1", p, 3, 2, warmup=0),
        Row("pool_tiny", "pool_tiny/cpython_pool_imap_c1", p, 3, 2, warmup=0),
        Row("pool_tiny", "pool_tiny/cpython_pool_imap_unordered_c1", p, 3, 2,
            warmup=0),
        Row("pool_tiny", "pool_tiny/cpython_pool_apply_async", p, 3, 2,
            warmup=0),
        Row("pool_tiny", "pool_tiny/cpython_pool_map_default", p, 3, 2,
            warmup=0),
        Row("pool_tiny", "pool_tiny/cpython_ppe_submit", p, 3, 2, warmup=0),
        Row("pool_tiny", "pool_tiny/cpython_ppe_map_c1", p, 3, 2, warmup=0),
        # (P2) CPU-bound map, 16 tasks x ~80 ms, 2 workers against serial
        # in-process; a sample is one serial and one parallel run (~2 s).
        Row("pool_cpu", "pool_cpu/multiproc_map_c1", n, 1, 1, warmup=0),
        Row("pool_cpu", "pool_cpu/cpython_pool_map_c1", p, 1, 1, warmup=0),
        # (P3) replacing a crashed worker, against one process start+join.
        Row("pool_replace", "pool_replace/multiproc_pool", n, 10, 5,
            warmup=0),
        Row("pool_replace", "pool_replace/multiproc_process_startjoin", n, 10,
            5),
        Row("pool_replace", "pool_replace/cpython_pool", p, 6, 3, warmup=0),
        Row("pool_replace", "pool_replace/cpython_ppe_rebuild", p, 3, 2,
            warmup=0),
    ]
    return rows


# figure -> (metric, unit, floor case key, title)
FIGURES = {
    "startjoin": ("latency_us", "us", "startjoin/raw_fork_waitpid",
                  "start+join, empty callable"),
    "startjoin200": ("latency_us", "us", "startjoin/raw_fork_waitpid@200MB",
                     "start+join, parent holds 200 MB touched"),
    "wake": ("latency_us", "us", "wake/raw_waitpid",
             "join wake latency (child's last action -> join returns)"),
    "overshoot": ("overshoot_us", "us", "overshoot/raw_poll_pidfd",
                  "join(50 ms) overshoot on a live child"),
    "is_alive": ("call_us", "us", "is_alive/raw_waitid_pidfd",
                 "is_alive() on a live child"),
    "children2000": ("total_ms", "ms", "children2000/raw_fork_waitpid",
                     "2,000 children sleeping 100 ms: start all, join all"),
    "forksize": ("latency_us", "us", None,
                 "fork cost against parent size (start+join)"),
    "pool_tiny": ("tasks_per_s", "tasks/s", "pool_tiny/cpython_pool_map_c1",
                  "pool, tiny tasks f(x)=x, 2 workers: throughput "
                  "(higher is better)"),
    "pool_cpu": ("speedup_x", "x", None,
                 "pool, CPU-bound map: 16 tasks x ~80 ms on 2 workers, "
                 "speed-up over serial in-process (per-rep ratio)"),
    "pool_replace": ("replace_us", "us",
                     "pool_replace/multiproc_process_startjoin",
                     "pool, replacing a crashed worker: (SIGKILL task + "
                     "trivial task) - (trivial + trivial), 1 worker"),
}
# The ratio column of a figure, where it is not "x floor".
RATIO_HEADERS = {"pool_tiny": "x CPython Pool.map c1",
                 "pool_replace": "x one process start"}
CHILDREN_EXTRA = [("start_phase_ms", "ms"), ("start_first100_us", "us"), ("start_last100_us", "us"),
                  ("heap_per_child_bytes", "B"), ("rss_per_child_bytes", "B")]
# Further metrics printed under a row of these figures.
EXTRAS = {"children2000": CHILDREN_EXTRA,
          "pool_cpu": [("serial_ms", "ms"), ("parallel_ms", "ms"),
                       ("task_ms", "ms")],
          "pool_replace": [("crash_pair_us", "us"), ("plain_pair_us", "us")]}


def percentile(values, q):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def stats(values):
    return {"n": len(values), "median": percentile(values, 0.5),
            "p10": percentile(values, 0.1), "p90": percentile(values, 0.9)}


def run_block(row, args, mode):
    iterations = row.iterations[mode]
    if row.runner == "native":
        cmd = [args.bin]
    elif row.case.startswith("pool_"):
        cmd = [args.python, PY_POOL_CASES]
    else:
        cmd = [args.python, PY_CASES]
    cmd += ["--case", row.case, "--iterations", str(iterations),
            "--warmup", str(row.warmup)]
    if row.ballast_mb:
        cmd += ["--ballast-mb", str(row.ballast_mb)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        row.failure = (proc.stderr.strip() or "exit %d" % proc.returncode)
        return
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for metric, values in result["metrics"].items():
        row.samples.setdefault(metric, []).extend(values)


def machine_info(args):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    compiler = "unknown"
    cache = os.path.join(os.path.dirname(os.path.dirname(args.bin)),
                         "CMakeCache.txt")
    try:
        with open(cache) as f:
            for line in f:
                if line.startswith("CMAKE_CXX_COMPILER:"):
                    cxx = line.split("=", 1)[1].strip()
                    compiler = subprocess.run(
                        [cxx, "--version"], capture_output=True,
                        text=True).stdout.splitlines()[0]
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    compiler += " (%s)" % line.split("=", 1)[1].strip()
    except (OSError, IndexError):
        pass
    py = subprocess.run([args.python, "--version"], capture_output=True,
                        text=True).stdout.strip()
    return {"nproc": os.cpu_count(), "cpu": cpu,
            "kernel": platform.release(), "compiler": compiler,
            "python": py, "loadavg_start": os.getloadavg()[0]}


def check_limits():
    """RLIMIT_NPROC and pid_max must leave room for 2,000 children."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    problems = []
    if soft != resource.RLIM_INFINITY and soft < 2600:
        problems.append("ulimit -u is %d (need ~2,600)" % soft)
    try:
        with open("/proc/sys/kernel/pid_max") as f:
            if int(f.read()) < 4096:
                problems.append("kernel.pid_max below 4,096")
    except OSError:
        pass
    return problems


def fmt(value, unit):
    if value != value:  # NaN
        return "-"
    if unit == "B":
        return "%.0f" % value
    if unit == "x":
        return "%.2f" % value
    if abs(value) >= 1000:
        return "{:,.0f}".format(value)
    if abs(value) >= 10:
        return "%.0f" % value
    if abs(value) >= 1:
        return "%.2f" % value
    return "%.3f" % value


def build_report(rows, mode, partial=False):
    by_key = {r.key: r for r in rows}
    table = []
    for figure, (metric, unit, floor_key, title) in FIGURES.items():
        for row in rows:
            if row.figure != figure or metric not in row.samples:
                continue
            st = stats(row.samples[metric])
            entry = {"figure": figure, "title": title, "key": row.key,
                     "label": row.label, "metric": metric, "unit": unit,
                     "ballast_mb": row.ballast_mb, **st, "ratio": None}
            floor = by_key.get(floor_key) if floor_key else None
            if floor and metric in floor.samples:
                fm = stats(floor.samples[metric])["median"]
                entry["ratio"] = st["median"] / fm if fm else None
                entry["floor"] = floor.label
            if figure == "startjoin" and row.case.endswith("_true"):
                spawn = by_key.get("startjoin/raw_posix_spawn_true")
                if spawn and metric in spawn.samples:
                    sm = stats(spawn.samples[metric])["median"]
                    entry["ratio"] = st["median"] / sm
                    entry["floor"] = spawn.label
            table.append(entry)
            if figure in EXTRAS:
                for extra, eunit in EXTRAS[figure]:
                    if extra in row.samples:
                        table.append({"figure": figure, "title": title,
                                      "key": row.key, "label": row.label,
                                      "metric": extra, "unit": eunit,
                                      "ballast_mb": 0,
                                      **stats(row.samples[extra]),
                                      "ratio": None})

    def med(key, metric):
        row = by_key.get(key)
        if not row or metric not in row.samples:
            return float("nan")
        return stats(row.samples[metric])["median"]

    def ratio_target(name, ours, floor, metric, limit):
        value = med(ours, metric) / med(floor, metric)
        return {"target": name, "value": value, "limit": limit,
                "shown": "%.2fx" % value, "limit_shown": "<= %.2fx" % limit,
                "status": "PASS" if value <= limit else "MISS"}

    first = med("children2000/multiproc", "start_first100_us")
    last = med("children2000/multiproc", "start_last100_us")
    heap = med("children2000/multiproc", "heap_per_child_bytes")
    alive = med("is_alive/multiproc", "call_us")
    targets = [
        ratio_target("start+join vs raw fork+waitpid", "startjoin/multiproc",
                     "startjoin/raw_fork_waitpid", "latency_us", 1.15),
        ratio_target("wake vs raw waitpid", "wake/multiproc",
                     "wake/raw_waitpid", "latency_us", 1.2),
        ratio_target("join(50 ms) overshoot vs raw poll(pidfd)",
                     "overshoot/multiproc", "overshoot/raw_poll_pidfd",
                     "overshoot_us", 1.3),
        {"target": "is_alive() on a live child", "value": alive,
         "limit": 1.0, "shown": "%.3f us" % alive, "limit_shown": "< 1 us",
         "status": "PASS" if alive < 1.0 else "MISS"},
        ratio_target("2,000 children total vs raw", "children2000/multiproc",
                     "children2000/raw_fork_waitpid", "total_ms", 1.3),
        {"target": "per-start cost flat (last 100 / first 100)",
         "value": last / first, "limit": 1.5,
         "shown": "%.2fx" % (last / first), "limit_shown": "<= 1.50x",
         "status": "PASS" if last / first <= 1.5 else "MISS"},
        {"target": "parent memory per live child (heap)", "value": heap,
         "limit": 2048, "shown": "%.0f B" % heap, "limit_shown": "<= 2048 B",
         "status": "PASS" if heap <= 2048 else "MISS"},
    ]
    targets += pool_targets(med)
    for t in targets:
        if t["value"] != t["value"]:
            t["status"] = "MISS"
            t["shown"] = "not measured"
    if partial:  # --only: the targets of the rows that ran
        targets = [t for t in targets if t["shown"] != "not measured"]
    return table, targets


def pool_targets(med):
    """The pool targets of issue 6."""
    submit = med("pool_tiny/multiproc_submit", "tasks_per_s")
    map_c1 = med("pool_tiny/multiproc_map_c1", "tasks_per_s")
    best = max(submit, map_c1) if submit == submit and map_c1 == map_c1 \
        else float("nan")
    speedup = med("pool_cpu/multiproc_map_c1", "speedup_x")
    replace = med("pool_replace/multiproc_pool", "replace_us")
    start = med("pool_replace/multiproc_process_startjoin", "replace_us")
    return [
        {"target": "pool tiny tasks/s through submit or map(chunksize=1)",
         "value": best, "limit": 150000,
         "shown": "submit %s, map c1 %s" % (fmt(submit, "tasks/s"),
                                            fmt(map_c1, "tasks/s")),
         "limit_shown": ">= 150,000",
         "status": "PASS" if best >= 150000 else "MISS"},
        {"target": "pool CPU-bound map speed-up, 2 workers", "value": speedup,
         "limit": 1.9, "shown": "%.2fx" % speedup, "limit_shown": ">= 1.90x",
         "status": "PASS" if speedup >= 1.9 else "MISS"},
        {"target": "pool worker replacement vs one process start+join",
         "value": replace / start, "limit": 1.0,
         "shown": "%s us / %s us = %.2fx" % (fmt(replace, "us"),
                                             fmt(start, "us"),
                                             replace / start),
         "limit_shown": "<= 1.00x",
         "status": "PASS" if replace / start <= 1.0 else "MISS"},
    ]


def print_report(table, targets, out=sys.stdout):
    current = None
    w = out.write
    for e in table:
        if e["figure"] != current:
            current = e["figure"]
            w("\n### %s\n\n" % e["title"])
            w("| implementation | metric | median | p10 | p90 | %s |\n"
              % RATIO_HEADERS.get(current, "x floor"))
            w("|---|---|---:|---:|---:|---:|\n")
        ratio = "%.2fx" % e["ratio"] if e.get("ratio") else ""
        name = e["metric"]
        name = name[:-len("_per_s")] if name.endswith("_per_s") else \
            name.rsplit("_", 1)[0]
        metric = "%s (%s)" % (name, e["unit"])
        w("| %s | %s | %s | %s | %s | %s |\n" % (
            e["label"], metric, fmt(e["median"], e["unit"]),
            fmt(e["p10"], e["unit"]), fmt(e["p90"], e["unit"]), ratio))
    sizes = {}
    for e in table:
        if e["metric"] == "latency_us" and e["figure"] in (
                "startjoin", "startjoin200", "forksize"):
            impl = e["label"].split("@")[0]
            sizes.setdefault(e["ballast_mb"], {})[impl] = e["median"]
    if len(sizes) > 1:
        w("\n### fork cost against parent size (start+join medians, us)\n\n"
          "| parent touched | raw fork+waitpid | multiproc | cpython fork |"
          " multiproc / raw |\n|---:|---:|---:|---:|---:|\n")
        for mb in sorted(sizes):
            row = sizes[mb]
            raw, ours = row.get("raw_fork_waitpid"), row.get("multiproc")
            w("| %d MB | %s | %s | %s | %s |\n" % (
                mb, fmt(raw or float("nan"), "us"),
                fmt(ours or float("nan"), "us"),
                fmt(row.get("cpython_fork", float("nan")), "us"),
                "%.2fx" % (ours / raw) if raw and ours else "-"))
    w("\n### Targets\n\n| target | measured | limit | result |\n"
      "|---|---:|---:|:---:|\n")
    for t in targets:
        w("| %s | %s | %s | %s |\n" % (t["target"], t["shown"],
                                       t["limit_shown"], t["status"]))


def default_out(only):
    name = "results.json"
    if only:
        name = "results-%s.json" % "".join(
            c if c.isalnum() or c in "_-" else "_" for c in only)
    return os.path.join(HERE, "results", name)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", default=os.path.join(
        os.path.dirname(HERE), "build-bench", "bench", "multiproc_compare"))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--quick", action="store_true",
                        help="3 rounds, fewer iterations, no 50/800 MB parents")
    parser.add_argument("--rounds", type=int)
    parser.add_argument("--only", help="run rows whose key contains this")
    parser.add_argument("--out", help="results file (default: "
                        "bench/results/results.json; with --only TEXT, "
                        "bench/results/results-TEXT.json)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.out is None:
        args.out = default_out(args.only)
    mode = "quick" if args.quick else "full"
    rounds = args.rounds or (3 if args.quick else 20)

    problems = check_limits()
    if problems:
        print("warning: " + "; ".join(problems) +
              " -- the 2,000-children rows may fail", file=sys.stderr)
    available = set(subprocess.run([args.bin, "--list"], capture_output=True,
                                   text=True, check=True).stdout.split())
    rows = []
    for row in plan():
        if mode == "quick" and not row.in_quick:
            continue
        if args.only and args.only not in row.key:
            continue
        if row.runner == "native" and row.case not in available:
            print("skipping %s: not built into %s (Boost not found?)"
                  % (row.case, args.bin), file=sys.stderr)
            continue
        rows.append(row)

    info = machine_info(args)
    rng = random.Random(args.seed)
    started = time.monotonic()
    for r in range(rounds):
        order = [row for row in rows if r % row.stride == 0]
        rng.shuffle(order)
        for row in order:
            if row.failure:
                continue
            run_block(row, args, mode)
        print("round %d/%d done, %.0f s, load %.2f" % (
            r + 1, rounds, time.monotonic() - started, os.getloadavg()[0]),
            file=sys.stderr)
    for row in rows:
        if row.failure:
            print("FAILED %s: %s" % (row.key, row.failure), file=sys.stderr)

    table, targets = build_report(rows, mode, partial=bool(args.only))
    info["loadavg_end"] = os.getloadavg()[0]
    info["seconds"] = round(time.monotonic() - started)
    info["mode"] = mode
    info["rounds"] = rounds
    info["date"] = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    print("\nmachine: %(nproc)s CPUs, %(cpu)s, Linux %(kernel)s, "
          "%(compiler)s, %(python)s; %(mode)s run, %(rounds)d rounds, "
          "%(seconds)d s, load %(loadavg_start).2f -> %(loadavg_end).2f"
          % info)
    print_report(table, targets)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"machine": info, "table": table, "targets": targets,
                   "samples": {row.key: row.samples for row in rows},
                   "failures": {row.key: row.failure for row in rows
                                if row.failure}}, f, indent=1)
    print("\nresults written to %s" % os.path.relpath(args.out))
    return 0 if all(t["status"] == "PASS" for t in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
