"""CPython's start+join by start method, beside bench/start_bench.cpp:
median, p10, p90 in us over N runs, small parent.

  python3 bench/python/start_methods.py [runs]     default 30
"""
import multiprocessing as mp
import sys
import time


def empty():
    pass


def measure(method, runs):
    ctx = mp.get_context(method)
    ctx.Process(target=empty).start()  # a forkserver's first start: its exec
    samples = []
    for _ in range(runs):
        p = ctx.Process(target=empty)
        begin = time.perf_counter()
        p.start()
        p.join()
        samples.append((time.perf_counter() - begin) * 1e6)
    samples.sort()
    at = lambda q: samples[int(q * (len(samples) - 1))]
    print(f"cpython {method:10} small parent  median {at(0.5):8.0f} us  "
          f"p10 {at(0.1):8.0f}  p90 {at(0.9):8.0f}")


if __name__ == "__main__":
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    for method in ("fork", "forkserver", "spawn"):
        measure(method, runs)
