#!/usr/bin/env python3
"""Before/after: the same harness cases from two builds, interleaved.

For a change to a hot path, bench/run.sh's table says how fast multiproc is
against its anchors; this says whether the change made it slower. Two
multiproc_compare binaries (say, one built at the commit before the change
and one at HEAD) run the same cases in alternating blocks, in a fresh
shuffled order each round, so machine noise hits both alike. Prints, per
case and metric, both medians and after/before.

    git worktree add --detach /tmp/before <rev>
    cmake -S /tmp/before -B /tmp/before/b -DMULTIPROC_BUILD_BENCH=ON \
      -DMULTIPROC_BUILD_TESTS=OFF -DMULTIPROC_BUILD_EXAMPLES=OFF
    cmake --build /tmp/before/b --target multiproc_compare
    python3 bench/ab_compare.py /tmp/before/b/bench/multiproc_compare \
      build-bench/bench/multiproc_compare --rounds 7 \
      startjoin/multiproc:200 wake/multiproc:200 pool_tiny/multiproc_submit:3

Each CASE is NAME[:ITERATIONS[:BALLAST_MB]]; the binaries must both know it
(multiproc_compare --list).
"""

import argparse
import json
import random
import statistics
import subprocess
import sys


def parse_case(text):
    parts = text.split(":")
    name = parts[0]
    iterations = int(parts[1]) if len(parts) > 1 else 100
    ballast = int(parts[2]) if len(parts) > 2 else 0
    return name, iterations, ballast


def run_block(binary, case):
    name, iterations, ballast = case
    command = [binary, "--case", name, "--iterations", str(iterations)]
    if ballast:
        command += ["--ballast-mb", str(ballast)]
    out = subprocess.run(command, check=True, capture_output=True, text=True,
                         timeout=600).stdout
    # The harness prints one JSON line per case as its last line.
    return json.loads(out.strip().splitlines()[-1])["metrics"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("cases", nargs="+", metavar="CASE")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    cases = [parse_case(c) for c in args.cases]
    samples = {}  # (case label, metric, side) -> values
    for round_index in range(args.rounds):
        blocks = [(c, side) for c in cases for side in ("before", "after")]
        random.shuffle(blocks)
        for case, side in blocks:
            binary = args.before if side == "before" else args.after
            label = case[0] + ("@%dMB" % case[2] if case[2] else "")
            for metric, values in run_block(binary, case).items():
                samples.setdefault((label, metric, side), []).extend(values)
        print("round %d of %d done" % (round_index + 1, args.rounds),
              file=sys.stderr)

    print("| case | metric | before (median) | after (median) | after/before |")
    print("|---|---|---:|---:|---:|")
    for case in cases:
        label = case[0] + ("@%dMB" % case[2] if case[2] else "")
        metrics = sorted({m for (l, m, _) in samples if l == label})
        for metric in metrics:
            before = statistics.median(samples[(label, metric, "before")])
            after = statistics.median(samples[(label, metric, "after")])
            ratio = after / before if before else float("nan")
            print("| %s | %s | %.4g | %.4g | %.2f |" %
                  (label, metric, before, after, ratio))


if __name__ == "__main__":
    main()
