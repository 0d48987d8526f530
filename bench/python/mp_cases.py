"""CPython multiprocessing cases of the comparison harness.

Same interface and output as the C++ harness (multiproc_compare):

    python3 bench/python/mp_cases.py --case startjoin/cpython_fork --iterations 20

prints one JSON line {"case": ..., "metrics": {name: [samples...]}}.
Module level stays import-light: the spawn and forkserver children import
this file again.
"""

import argparse
import json
import mmap
import multiprocessing as mp
import os
import resource
import struct
import sys
import time

WAKE_CHILD_DELAY = 0.002  # as kWakeChildDelay in harness/common.hpp
OVERSHOOT_TIMEOUT = 0.050
IS_ALIVE_BATCH = 10000
MANY_CHILDREN = 2000
MANY_CHILDREN_SLEEP = 0.100
EDGE_STARTS = 100


def _empty():
    pass


def _stamp_and_return(page):
    time.sleep(WAKE_CHILD_DELAY)
    page[0:8] = struct.pack("Q", time.clock_gettime_ns(time.CLOCK_MONOTONIC))


def _block_until_closed(read_conn, write_conn):
    write_conn.close()  # inherited by fork; the parent's close must be the last
    try:
        read_conn.recv()
    except EOFError:
        pass


def _sleep_a_while():
    time.sleep(MANY_CHILDREN_SLEEP)


def _median(values):
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def start_join(ctx, iterations, out):
    for _ in range(iterations):
        t0 = time.perf_counter_ns()
        p = ctx.Process(target=_empty)
        p.start()
        p.join()
        out.setdefault("latency_us", []).append((time.perf_counter_ns() - t0) / 1e3)


def wake(ctx, iterations, out):
    page = mmap.mmap(-1, mmap.PAGESIZE)  # MAP_SHARED: seen across fork
    for _ in range(iterations):
        p = ctx.Process(target=_stamp_and_return, args=(page,))
        p.start()
        p.join()
        now = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
        (stamp,) = struct.unpack("Q", page[0:8])
        out.setdefault("latency_us", []).append((now - stamp) / 1e3)


def _live_child(ctx):
    read_conn, write_conn = ctx.Pipe(duplex=False)
    p = ctx.Process(target=_block_until_closed, args=(read_conn, write_conn))
    p.start()
    read_conn.close()
    return p, write_conn


def overshoot(ctx, iterations, out):
    p, release = _live_child(ctx)
    for _ in range(iterations):
        t0 = time.perf_counter_ns()
        p.join(OVERSHOOT_TIMEOUT)
        elapsed_us = (time.perf_counter_ns() - t0) / 1e3
        if p.exitcode is not None:
            raise RuntimeError("child ended early")
        out.setdefault("overshoot_us", []).append(elapsed_us - OVERSHOOT_TIMEOUT * 1e6)
    release.close()
    p.join()


def is_alive(ctx, iterations, out):
    p, release = _live_child(ctx)
    for _ in range(iterations):
        t0 = time.perf_counter_ns()
        alive = 0
        for _ in range(IS_ALIVE_BATCH):
            alive += p.is_alive()
        if alive != IS_ALIVE_BATCH:
            raise RuntimeError("child ended early")
        per_call = (time.perf_counter_ns() - t0) / 1e3 / IS_ALIVE_BATCH
        out.setdefault("call_us", []).append(per_call)
    release.close()
    p.join()


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def many_children(ctx, iterations, out):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    for _ in range(iterations):
        rss0 = _rss_bytes()
        children = []
        start_us = []
        t0 = time.perf_counter_ns()
        for _ in range(MANY_CHILDREN):
            s0 = time.perf_counter_ns()
            p = ctx.Process(target=_sleep_a_while)
            p.start()
            start_us.append((time.perf_counter_ns() - s0) / 1e3)
            children.append(p)
        rss_delta = _rss_bytes() - rss0
        for p in children:
            p.join()
        total_ms = (time.perf_counter_ns() - t0) / 1e6
        out.setdefault("total_ms", []).append(total_ms)
        out.setdefault("start_first100_us", []).append(_median(start_us[:EDGE_STARTS]))
        out.setdefault("start_last100_us", []).append(_median(start_us[-EDGE_STARTS:]))
        out.setdefault("rss_per_child_bytes", []).append(rss_delta / MANY_CHILDREN)
        del children


CASES = {
    "startjoin/cpython_fork": (start_join, "fork"),
    "startjoin/cpython_forkserver": (start_join, "forkserver"),
    "startjoin/cpython_spawn": (start_join, "spawn"),
    "wake/cpython_fork": (wake, "fork"),
    "overshoot/cpython_fork": (overshoot, "fork"),
    "is_alive/cpython_fork": (is_alive, "fork"),
    "children2000/cpython_fork": (many_children, "fork"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--case")
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--ballast-mb", type=int, default=0)
    args = parser.parse_args()
    if args.list:
        print("\n".join(CASES))
        return 0
    if args.case not in CASES:
        parser.error("unknown case %r" % args.case)
    run, method = CASES[args.case]
    ballast = None
    if args.ballast_mb:
        ballast = bytearray(args.ballast_mb << 20)
        for i in range(0, len(ballast), mmap.PAGESIZE):
            ballast[i] = 1
    ctx = mp.get_context(method)
    warm = {}
    if args.warmup:
        run(ctx, args.warmup, warm)  # starts the forkserver, fills caches
    out = {}
    run(ctx, args.iterations, out)
    print(json.dumps({"case": args.case, "metrics": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
