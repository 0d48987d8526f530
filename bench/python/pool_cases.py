"""CPython pool cases of the comparison harness (multiprocessing.Pool and
concurrent.futures.ProcessPoolExecutor, fork start method).

Same interface and output as mp_cases.py and the C++ harness:

    python3 bench/python/pool_cases.py --case pool_tiny/cpython_pool_map_c1 --iterations 3

prints one JSON line {"case": ..., "metrics": {name: [samples...]}}. The
numbers match bench/harness/common.hpp (kPool*) and the C++ cases in
bench/harness/pool_cases.cpp.
"""

import argparse
import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import signal
import sys
import time

WORKERS = 2
TINY_TASKS = 20000  # kPoolTinyTasks
PPE_TINY_TASKS = 5000  # ProcessPoolExecutor is ~5x slower: fewer per sample
CPU_TASKS = 16
CPU_TASK_MS = 80.0


def identity(x):
    return x


def kill_own_worker(_):
    os.kill(os.getpid(), signal.SIGKILL)


def burn(n):
    # Pure-Python integer arithmetic with a serial dependency, as burn() in
    # pool_cases.cpp (xorshift64, folded into a sum).
    x = n | 1
    total = 0
    mask = 0xFFFFFFFFFFFFFFFF
    for i in range(n):
        x ^= (x << 13) & mask
        x ^= x >> 7
        x ^= (x << 17) & mask
        total += x ^ i
    return total


_steps = None


def calibrated_steps():
    """Steps of burn() that take about CPU_TASK_MS here (fastest of 3)."""
    global _steps
    if _steps is None:
        probe = 100_000
        best = float("inf")
        for i in range(3):
            t0 = time.perf_counter()
            burn(probe + i)
            best = min(best, (time.perf_counter() - t0) / probe)
        _steps = int(CPU_TASK_MS / 1e3 / best)
    return _steps


def _add(out, name, value):
    out.setdefault(name, []).append(value)


def _check(results, n):
    if sum(results) != n * (n - 1) // 2:
        raise RuntimeError("wrong results")


# --- tiny-task throughput ------------------------------------------------

def _tiny(make_pool, body, n):
    def run(iterations, out):
        with make_pool() as pool:
            body(pool, 100)  # warm: every worker started and serving
            for _ in range(iterations):
                t0 = time.perf_counter()
                results = body(pool, n)
                seconds = time.perf_counter() - t0
                _check(results, n)
                _add(out, "tasks_per_s", n / seconds)
    return run


def _pool():
    return mp.get_context("fork").Pool(WORKERS)


def _ppe():
    return cf.ProcessPoolExecutor(WORKERS, mp_context=mp.get_context("fork"))


def pool_map_c1(pool, n):
    return pool.map(identity, range(n), chunksize=1)


def pool_map_default(pool, n):
    return pool.map(identity, range(n))


def pool_imap_c1(pool, n):
    return list(pool.imap(identity, range(n), chunksize=1))


def pool_imap_unordered_c1(pool, n):
    return list(pool.imap_unordered(identity, range(n), chunksize=1))


def pool_apply_async(pool, n):
    pending = [pool.apply_async(identity, (i,)) for i in range(n)]
    return [r.get() for r in pending]


def ppe_submit(ex, n):
    pending = [ex.submit(identity, i) for i in range(n)]
    return [f.result() for f in pending]


def ppe_map_c1(ex, n):
    return list(ex.map(identity, range(n)))


# --- CPU-bound speed-up --------------------------------------------------

def cpu_speedup(iterations, out):
    steps = calibrated_steps()
    work = [steps + k for k in range(CPU_TASKS)]
    sink = 0
    with _pool() as pool:
        pool.map(identity, range(100), chunksize=1)
        for i in range(iterations):
            times = {}

            def serial():
                t0 = time.perf_counter()
                r = [burn(n) for n in work]
                times["serial"] = time.perf_counter() - t0
                return sum(r)

            def parallel():
                t0 = time.perf_counter()
                r = pool.map(burn, work, chunksize=1)
                times["parallel"] = time.perf_counter() - t0
                return sum(r)

            order = (serial, parallel) if i % 2 == 0 else (parallel, serial)
            for run in order:
                sink += run()
            _add(out, "serial_ms", times["serial"] * 1e3)
            _add(out, "parallel_ms", times["parallel"] * 1e3)
            _add(out, "speedup_x", times["serial"] / times["parallel"])
            _add(out, "task_ms", times["serial"] * 1e3 / CPU_TASKS)
    print("pool_cpu checksum %d" % (sink & 0xFFFFFFFF), file=sys.stderr)


# --- replacing a crashed worker ----------------------------------------------

def pool_replace(iterations, out):
    """Pool(1): a task SIGKILLs its worker, then a trivial task, timed until
    the trivial task's result; against two trivial tasks. Pool replaces the
    worker, but the killed task's AsyncResult never completes (gh-66587):
    only the second task can be waited for."""
    with mp.get_context("fork").Pool(1) as pool:
        pool.map(identity, range(100), chunksize=1)

        def pair(crash):
            t0 = time.perf_counter()
            first = pool.apply_async(kill_own_worker if crash else identity, (1,))
            second = pool.apply_async(identity, (2,))
            if second.get(timeout=30) != 2:
                raise RuntimeError("wrong result")
            if not crash:
                first.get(timeout=30)
            return (time.perf_counter() - t0) * 1e6

        for i in range(iterations):
            if i % 2 == 0:
                crashed, plain = pair(True), pair(False)
            else:
                plain, crashed = pair(False), pair(True)
            _add(out, "crash_pair_us", crashed)
            _add(out, "plain_pair_us", plain)
            _add(out, "replace_us", crashed - plain)
        pool.terminate()


def ppe_replace(iterations, out):
    """ProcessPoolExecutor(1) does not replace a crashed worker: the whole
    executor breaks (every pending future fails with BrokenProcessPool).
    What a user must do instead: see the failure, make a new executor, run
    the next task. Timed against two trivial tasks on a live executor."""
    ctx = mp.get_context("fork")
    ex = cf.ProcessPoolExecutor(1, mp_context=ctx)
    list(ex.map(identity, range(100)))

    def crash_pair():
        nonlocal ex
        t0 = time.perf_counter()
        first = ex.submit(kill_own_worker, 1)
        futures = [first]
        try:
            futures.append(ex.submit(identity, 2))
        except cf.process.BrokenProcessPool:
            pass  # the executor broke before the second submit: same story
        for f in futures:
            try:
                f.result(timeout=30)
            except cf.process.BrokenProcessPool:
                pass
        ex.shutdown(wait=True)
        ex = cf.ProcessPoolExecutor(1, mp_context=ctx)
        if ex.submit(identity, 2).result(timeout=30) != 2:
            raise RuntimeError("wrong result")
        return (time.perf_counter() - t0) * 1e6

    def plain_pair():
        t0 = time.perf_counter()
        first = ex.submit(identity, 1)
        second = ex.submit(identity, 2)
        first.result(timeout=30)
        second.result(timeout=30)
        return (time.perf_counter() - t0) * 1e6

    for i in range(iterations):
        if i % 2 == 0:
            crashed, plain = crash_pair(), plain_pair()
        else:
            plain, crashed = plain_pair(), crash_pair()
        _add(out, "crash_pair_us", crashed)
        _add(out, "plain_pair_us", plain)
        _add(out, "replace_us", crashed - plain)
    ex.shutdown()


CASES = {
    "pool_tiny/cpython_pool_map_c1": _tiny(_pool, pool_map_c1, TINY_TASKS),
    "pool_tiny/cpython_pool_imap_c1": _tiny(_pool, pool_imap_c1, TINY_TASKS),
    "pool_tiny/cpython_pool_imap_unordered_c1": _tiny(
        _pool, pool_imap_unordered_c1, TINY_TASKS),
    "pool_tiny/cpython_pool_apply_async": _tiny(_pool, pool_apply_async,
                                                TINY_TASKS),
    "pool_tiny/cpython_pool_map_default": _tiny(_pool, pool_map_default,
                                                TINY_TASKS),
    "pool_tiny/cpython_ppe_submit": _tiny(_ppe, ppe_submit, PPE_TINY_TASKS),
    "pool_tiny/cpython_ppe_map_c1": _tiny(_ppe, ppe_map_c1, PPE_TINY_TASKS),
    "pool_cpu/cpython_pool_map_c1": cpu_speedup,
    "pool_replace/cpython_pool": pool_replace,
    "pool_replace/cpython_ppe_rebuild": ppe_replace,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--case")
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=0)
    parser.add_argument("--ballast-mb", type=int, default=0)
    args = parser.parse_args()
    if args.list:
        print("\n".join(CASES))
        return 0
    if args.case not in CASES:
        parser.error("unknown case %r" % args.case)
    run = CASES[args.case]
    if args.warmup:
        run(args.warmup, {})
    out = {}
    run(args.iterations, out)
    print(json.dumps({"case": args.case, "metrics": out}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
