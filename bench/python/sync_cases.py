#!/usr/bin/env python3
"""Python 3.11 multiprocessing (fork) figures for the rows of
bench/sync_bench.cpp, same workloads and placement, medians of N runs.

    python3 bench/python/sync_cases.py [--quick]
"""
import multiprocessing as mp
import os
import statistics
import sys
import time


def pin(cpu):
    os.sched_setaffinity(0, {cpu})


def unpin():
    os.sched_setaffinity(0, {0, 1})


def uncontended_lock(n):
    lock = mp.Lock()
    acquire, release = lock.acquire, lock.release
    start = time.perf_counter()
    for _ in range(n):
        acquire()
        release()
    return n / (time.perf_counter() - start)


def value_increment_one_process(n):
    v = mp.Value("i", 0)
    start = time.perf_counter()
    for _ in range(n):
        with v:
            v.value += 1
    return n / (time.perf_counter() - start)


def increment(v, n, cpu):
    pin(cpu)
    for _ in range(n):
        with v:
            v.value += 1


def value_increment_two_processes(n):
    v = mp.Value("i", 0)
    children = [mp.Process(target=increment, args=(v, n, cpu))
                for cpu in (0, 1)]
    start = time.perf_counter()
    for c in children:
        c.start()
    for c in children:
        c.join()
    return 2 * n / (time.perf_counter() - start)


def handoff_child(ping, pong, n, cpu):
    pin(cpu)
    for _ in range(n):
        ping.acquire()
        pong.release()


def handoff(n, same_cpu):
    ping, pong = mp.Lock(), mp.Lock()
    ping.acquire()
    pong.acquire()
    child = mp.Process(target=handoff_child,
                       args=(ping, pong, n, 0 if same_cpu else 1))
    pin(0)
    child.start()
    start = time.perf_counter()
    for _ in range(n):
        ping.release()
        pong.acquire()
    rate = n / (time.perf_counter() - start)
    child.join()
    unpin()
    return rate


def report(row, unit, runs):
    runs = sorted(runs)
    print("%-34s %14.0f %-8s (%.0f .. %.0f)" % (
        row, statistics.median(runs), unit, runs[0], runs[-1]), flush=True)


def main():
    mp.set_start_method("fork")
    quick = "--quick" in sys.argv
    runs = 3 if quick else 7
    scale = 10 if quick else 1
    report("python Lock acquire+release", "pairs/s",
           [uncontended_lock(2_000_000 // scale) for _ in range(runs)])
    report("python Value locked += 1", "ops/s",
           [value_increment_one_process(400_000 // scale)
            for _ in range(runs)])
    report("python Value locked += 1, 2 procs", "ops/s",
           [value_increment_two_processes(200_000 // scale)
            for _ in range(runs)])
    report("python Lock handoff split", "rt/s",
           [handoff(20_000 // scale, False) for _ in range(runs)])
    report("python Lock handoff same", "rt/s",
           [handoff(20_000 // scale, True) for _ in range(runs)])


if __name__ == "__main__":
    main()
