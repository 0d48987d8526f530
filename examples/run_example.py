#!/usr/bin/env python3
"""Runs one example program and checks what it did.

Usage: run_example.py <example name> <path to the executable>

The expectations live in expectations.py, keyed by example name. Checked:

* stdout and stderr, line by line (each line must fully match a regular
  expression, and no other line may appear);
* the order of lines across both streams (see "Order" below);
* the exit status (negative: killed by that signal);
* the wall time of the whole run, and optionally when given lines appear,
  with generous slack. Upper bounds are multiplied by MULTIPROC_TEST_SLOWDOWN
  (sanitizer builds set it); lower bounds never are.

Order: stdout and stderr are read from two pipes in rounds of poll(). A line
written before another (in real time) can never be seen in a *later* round,
but two lines may show up in the same round, whichever stream was first. So
each expected line has a rank: lines of a lower rank must not be seen in a
later round than lines of a higher rank, and within one stream they must come
first. Lines of equal rank may come in any order (two children racing).

The run is read until both pipes reach end of file, so output of children
that outlive the example's main process is checked too.
"""

import os
import re
import selectors
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expectations import EXAMPLES  # noqa: E402


def slowdown():
    try:
        return max(1.0, float(os.environ.get("MULTIPROC_TEST_SLOWDOWN", "1")))
    except ValueError:
        return 1.0


class Line:
    def __init__(self, stream, text, round_, when):
        self.stream, self.text, self.round, self.when = stream, text, round_, when

    def __str__(self):
        return f"{self.when:7.3f}s  round {self.round:3d}  {self.stream}: {self.text}"


def run(executable, deadline_s, launcher=()):
    """Runs the example (under `launcher`, e.g. mpiexec and its flags);
    returns (lines, exit status, wall seconds)."""
    start = time.monotonic()
    child = subprocess.Popen(
        [*launcher, executable], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, start_new_session=True)
    sel = selectors.DefaultSelector()
    partial = {}
    for stream, pipe in (("stdout", child.stdout), ("stderr", child.stderr)):
        os.set_blocking(pipe.fileno(), False)
        sel.register(pipe.fileno(), selectors.EVENT_READ, stream)
        partial[stream] = b""
    lines = []
    round_ = 0
    timed_out = False
    while sel.get_map():
        left = deadline_s - (time.monotonic() - start)
        if left <= 0:
            timed_out = True
            break
        events = sel.select(timeout=left)
        round_ += 1
        now = time.monotonic() - start
        for key, _ in events:
            stream = key.data
            data = os.read(key.fd, 1 << 16)
            if not data:
                sel.unregister(key.fd)
                if partial[stream]:
                    lines.append(Line(stream, partial[stream].decode(
                        errors="replace") + "<no newline>", round_, now))
                    partial[stream] = b""
                continue
            partial[stream] += data
            *complete, partial[stream] = partial[stream].split(b"\n")
            for text in complete:
                lines.append(Line(stream, text.decode(errors="replace"),
                                  round_, now))
    if timed_out:
        # The example (or a child it left behind) hangs: end its session.
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    status = child.wait()
    wall = time.monotonic() - start
    child.stdout.close()
    child.stderr.close()
    return lines, status, wall, timed_out


def match_lines(expected, lines):
    """Pairs each expected line with an actual one. Returns (pairs, errors)."""
    errors = []
    pairs = []
    for stream in ("stdout", "stderr"):
        want = sorted((e for e in expected if e["stream"] == stream),
                      key=lambda e: e["rank"])
        got = [line for line in lines if line.stream == stream]
        if len(want) != len(got):
            errors.append(f"{stream}: expected {len(want)} lines, got "
                          f"{len(got)}")
            continue
        # Lines of one rank form a block that may come in any order.
        i = 0
        while i < len(want):
            j = i
            while j < len(want) and want[j]["rank"] == want[i]["rank"]:
                j += 1
            block_want, block_got = want[i:j], list(got[i:j])
            for e in block_want:
                found = next((g for g in block_got
                              if re.fullmatch(e["re"], g.text)), None)
                if found is None:
                    errors.append(f"{stream}: no line matching "
                                  f"{e['re']!r} at rank {e['rank']} "
                                  f"(lines {i + 1}..{j})")
                    continue
                block_got.remove(found)
                pairs.append((e, found))
            i = j
    return pairs, errors


def check(name, executable, launcher=()):
    spec = EXAMPLES[name]
    factor = slowdown()
    low, high = spec["wall"]
    lines, status, wall, timed_out = run(executable, max(60.0, 4 * high) * factor,
                                         launcher)

    errors = []
    if timed_out:
        errors.append("timed out: killed the example's session")
    if status != spec.get("status", 0):
        errors.append(f"exit status {status}, expected {spec.get('status', 0)}")
    if not low <= wall < high * factor:
        errors.append(f"wall time {wall:.2f}s outside [{low}, {high * factor})")

    pairs, match_errors = match_lines(spec["lines"], lines)
    errors += match_errors
    for a, line_a in pairs:
        for b, line_b in pairs:
            if a["rank"] < b["rank"] and line_a.round > line_b.round:
                errors.append(f"order: {line_a.text!r} (rank {a['rank']}) was "
                              f"seen after {line_b.text!r} (rank {b['rank']})")
    for e, line in pairs:
        if "at" in e:
            at_low, at_high = e["at"]
            if not at_low <= line.when < at_high * factor:
                errors.append(f"{line.text!r} at {line.when:.2f}s, expected "
                              f"in [{at_low}, {at_high * factor})")
        if "gap" in e:
            ref_re, gap_high = e["gap"]
            ref = next((l for r, l in pairs if r["re"] == ref_re), None)
            if ref is not None and line.when - ref.when >= gap_high * factor:
                errors.append(f"{line.text!r} came {line.when - ref.when:.2f}s "
                              f"after {ref.text!r}, expected < "
                              f"{gap_high * factor}")

    print(f"example {name}: exit status {status}, wall time {wall:.2f}s")
    for line in lines:
        print("  " + str(line))
    for error in errors:
        print("FAIL: " + error)
    if not errors:
        print("PASS")
    return not errors


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in EXAMPLES:
        sys.exit(f"usage: {sys.argv[0]} <{'|'.join(EXAMPLES)}> <executable>"
                 " [launcher...]")
    sys.exit(0 if check(sys.argv[1], sys.argv[2], sys.argv[3:]) else 1)


if __name__ == "__main__":
    main()
