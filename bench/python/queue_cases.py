#!/usr/bin/env python3
"""Python 3.11 multiprocessing (fork) figures for the rows of
bench/queue_bench.cpp, same placement (parent CPU 0, child CPU 1),
medians of N runs.

    python3 bench/python/queue_cases.py [--quick]
"""
import multiprocessing as mp
import os
import statistics
import sys
import time


def pin(cpu):
    os.sched_setaffinity(0, {cpu})


def producer_ints(q, n):
    pin(1)
    for i in range(n):
        q.put(i)


def int_one_to_one(n):
    q = mp.Queue(4096)
    p = mp.Process(target=producer_ints, args=(q, n))
    pin(0)
    start = time.perf_counter()
    p.start()
    for _ in range(n):
        q.get()
    s = time.perf_counter() - start
    p.join()
    return n / s


def producer_mib(q, n):
    pin(1)
    item = bytes(1 << 20)
    for _ in range(n):
        q.put(item)


def mib_items(n):
    q = mp.Queue(64)
    p = mp.Process(target=producer_mib, args=(q, n))
    pin(0)
    start = time.perf_counter()
    p.start()
    total = 0
    for _ in range(n):
        total += len(q.get())
    s = time.perf_counter() - start
    p.join()
    return total / s / 1e6


def server(request, reply, n):
    pin(1)
    for _ in range(n):
        reply.put(request.get() + 1)


def ping_pong(n):
    request, reply = mp.Queue(1), mp.Queue(1)
    p = mp.Process(target=server, args=(request, reply, n))
    pin(0)
    p.start()
    start = time.perf_counter()
    v = 0
    for _ in range(n):
        request.put(v)
        v = reply.get()
    s = time.perf_counter() - start
    p.join()
    return n / s


def sender_ints(w, n):
    pin(1)
    for i in range(n):
        w.send(i)


def pipe_ints_one_way(n):
    r, w = mp.Pipe(False)
    p = mp.Process(target=sender_ints, args=(w, n))
    pin(0)
    start = time.perf_counter()
    p.start()
    w.close()
    for _ in range(n):
        r.recv()
    s = time.perf_counter() - start
    p.join()
    return n / s


def sender_mib(w, n):
    pin(1)
    message = bytes(1 << 20)
    for _ in range(n):
        w.send_bytes(message)


def pipe_mib_one_way(n):
    r, w = mp.Pipe(False)
    p = mp.Process(target=sender_mib, args=(w, n))
    pin(0)
    start = time.perf_counter()
    p.start()
    w.close()
    buf = bytearray(1 << 20)
    total = 0
    for _ in range(n):
        total += r.recv_bytes_into(buf)
    s = time.perf_counter() - start
    p.join()
    return total / s / 1e6


def report(row, unit, runs):
    runs = sorted(runs)
    print("%-34s %14.0f %-8s (%.0f .. %.0f)" % (
        row, statistics.median(runs), unit, runs[0], runs[-1]), flush=True)


def main():
    mp.set_start_method("fork")
    quick = "--quick" in sys.argv
    runs = 3 if quick else 7
    scale = 10 if quick else 1
    report("python Queue ints 1->1 split", "items/s",
           [int_one_to_one(200_000 // scale) for _ in range(runs)])
    report("python Queue 1 MiB bytes split", "MB/s",
           [mib_items(1000 // scale) for _ in range(runs)])
    report("python Queue ping-pong split", "rt/s",
           [ping_pong(20_000 // scale) for _ in range(runs)])
    report("python Pipe(False) ints one way split", "msgs/s",
           [pipe_ints_one_way(200_000 // scale) for _ in range(runs)])
    report("python Pipe(False) 1 MiB send_bytes split", "MB/s",
           [pipe_mib_one_way(1000 // scale) for _ in range(runs)])


if __name__ == "__main__":
    main()
