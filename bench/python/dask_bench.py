"""Dask distributed on this machine, the same rows as the MPI bench
(BENCHMARKS.md, "MPI"): a LocalCluster of 3 worker processes with one
thread each, listening on 127.0.0.1 only. Run by bench/mpi_bench.sh with
Debian's python3-distributed:

    /usr/bin/python3 bench/python/dask_bench.py [tasks]   # default 2000

Dask does a few hundred tiny tasks a second, so it gets fewer tasks than
the other rows (a rate, not a total, is compared).
"""
import statistics
import sys
import time

from distributed import Client, LocalCluster


def add(a, b):
    return a + b


def main():
    tasks = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    began = time.perf_counter()
    with LocalCluster(n_workers=3, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        print(f"dask: 3 workers up in {time.perf_counter() - began:.2f} s",
              flush=True)
        for _ in range(50):  # warm: connections, the function's pickle
            client.submit(add, 1, 2, pure=False).result()
        latencies = []
        for _ in range(300):
            start = time.perf_counter()
            client.submit(add, 1, 2, pure=False).result()
            latencies.append((time.perf_counter() - start) * 1e6)
        latencies.sort()
        print(f"dask: submit+result latency: median "
              f"{statistics.median(latencies):.0f} us, p99 "
              f"{latencies[int(0.99 * len(latencies))]:.0f} us", flush=True)

        start = time.perf_counter()
        futures = [client.submit(add, i, 1, pure=False) for i in range(tasks)]
        assert client.gather(futures) == [i + 1 for i in range(tasks)]
        rate = tasks / (time.perf_counter() - start)
        print(f"dask: submit {tasks} then gather: {rate:.0f} tasks/s",
              flush=True)

        start = time.perf_counter()
        futures = client.map(add, range(tasks), [1] * tasks, pure=False)
        assert client.gather(futures) == [i + 1 for i in range(tasks)]
        rate = tasks / (time.perf_counter() - start)
        print(f"dask: map {tasks} items: {rate:.0f} tasks/s", flush=True)


if __name__ == "__main__":
    main()
