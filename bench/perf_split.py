#!/usr/bin/env python3
"""Splits a `perf record -g` profile of one harness case into parent and
children, and charges every sample to the first user-space frame under the
kernel entry, so page faults and system calls count against the function
that caused them. Prints CPU microseconds per iteration.

    perf record -e cpu-clock -F 20000 -g -o sj.data -- \\
        build-bench/bench/multiproc_compare --case startjoin/multiproc \\
        --iterations 2000
    python3 bench/perf_split.py sj.data --iterations 2001 --freq 20000

(--iterations counts the warm-up iteration too.) The parent is the pid with
the most samples.
"""

import argparse
import collections
import subprocess

KERNEL_ENTRIES = ("entry_SYSCALL_64", "asm_exc_page_fault", "ret_from_fork",
                  "asm_sysvec", "asm_common_interrupt")


def read_samples(path):
    text = subprocess.run(["perf", "script", "-i", path, "-F", "pid,ip,sym"],
                          capture_output=True, text=True, check=True).stdout
    samples, current = [], None
    for line in text.splitlines():
        if not line.strip():
            if current:
                samples.append(current)
            current = None
        elif not line[0].isspace():
            current = (line.split()[0], [])
        elif current is not None:
            parts = line.split(None, 1)
            current[1].append(parts[1] if len(parts) > 1 else "?")
    if current:
        samples.append(current)
    return samples


def charged_frame(frames):
    below = None
    for i, frame in enumerate(frames):
        if frame.startswith(KERNEL_ENTRIES):
            below = i + 1
    if below is not None and below < len(frames):
        return frames[below]
    return "(user) " + frames[0] if frames else "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data")
    parser.add_argument("--iterations", type=int, required=True)
    parser.add_argument("--freq", type=float, default=20000)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    samples = read_samples(args.data)
    per_pid = collections.Counter(pid for pid, _ in samples)
    parent = per_pid.most_common(1)[0][0]
    us_per_sample = 1e6 / args.freq / args.iterations
    for who in ("parent", "children"):
        chosen = [f for pid, f in samples if (pid == parent) == (who == "parent")]
        print("== %s: %.1f us CPU per iteration" % (
            who, len(chosen) * us_per_sample))
        counts = collections.Counter(charged_frame(f) for f in chosen)
        for frame, n in counts.most_common(args.top):
            print("  %7.1f us  %s" % (n * us_per_sample, frame))


if __name__ == "__main__":
    main()
