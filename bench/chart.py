#!/usr/bin/env python3
"""Draws the benchmark chart from the harness's own results file.

    python3 bench/chart.py [bench/results/results.json [out.png]]

Results with the pool figures also give pool_chart.png beside the file.

One panel per figure: medians as bars (log scale where the spread of
implementations needs it), p10-p90 as whiskers, the floor in grey and
multiproc in blue.
"""

import json
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

COLORS = {"raw": "#9e9e9e", "multiproc": "#1f77b4", "cpython": "#ff7f0e",
          "boost": "#2ca02c"}


def color(label):
    for prefix, c in COLORS.items():
        if label.startswith(prefix):
            return c
    return "#555555"


def panel(ax, entries, title, unit, log=False):
    labels = [e["label"].replace("@200MB", "").replace("_", " ")
              for e in entries]
    med = [e["median"] for e in entries]
    lo = [max(e["median"] - e["p10"], 0) for e in entries]
    hi = [max(e["p90"] - e["median"], 0) for e in entries]
    y = range(len(entries))
    ax.barh(y, med, xerr=[lo, hi], color=[color(e["label"]) for e in entries],
            error_kw={"elinewidth": 0.8, "capsize": 2})
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_title(title, fontsize=8.5)
    ax.set_xlabel(unit, fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    if log:
        ax.set_xscale("log")
    for i, e in enumerate(entries):
        text = "%.3g" % e["median"]
        if e.get("ratio") and not e["label"].startswith("raw"):
            text += "  (%.2fx)" % e["ratio"]
        ax.text(max(e["median"], e["p90"]), i, " " + text, va="center",
                fontsize=6.5)
    ax.margins(x=0.35)


def forksize(ax, table):
    """Fork cost against parent size: start+join at 0, 50, 200, 800 MB."""
    for impl in ("raw_fork_waitpid", "multiproc"):
        points = sorted(
            (e["ballast_mb"], e["median"]) for e in table
            if e["metric"] == "latency_us" and e["label"].split("@")[0] == impl
            and e["figure"] in ("startjoin", "startjoin200", "forksize"))
        if points:
            ax.plot([p[0] for p in points], [p[1] / 1000 for p in points],
                    marker="o", color=color(impl), label=impl.replace("_", " "))
    ax.set_title("fork cost vs parent size", fontsize=8.5)
    ax.set_xlabel("MB of touched memory in the parent", fontsize=7)
    ax.set_ylabel("start+join, ms", fontsize=7)
    ax.tick_params(labelsize=7)
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)


def memory(ax, entries):
    """Per-start cost, first 100 against last 100 of the 2,000 children."""
    impls = [e["label"] for e in entries if e["metric"] == "total_ms"]
    first = {e["label"]: e["median"] for e in entries
             if e["metric"] == "start_first100_us"}
    last = {e["label"]: e["median"] for e in entries
            if e["metric"] == "start_last100_us"}
    x = range(len(impls))
    ax.bar([i - 0.2 for i in x], [first.get(i, 0) for i in impls], 0.4,
           color=[color(i) for i in impls], alpha=0.55, label="first 100")
    ax.bar([i + 0.2 for i in x], [last.get(i, 0) for i in impls], 0.4,
           color=[color(i) for i in impls], label="last 100")
    ax.set_xticks(list(x))
    ax.set_xticklabels([i.replace("_", " ") for i in impls], fontsize=7)
    ax.set_yscale("log")
    ax.set_title("(5) start(): first 100 (light), last 100", fontsize=8.5)
    ax.set_ylabel("us per start() (log)", fontsize=7)
    ax.tick_params(labelsize=7)


def pool_chart(data, out):
    """The pool figures: throughput, CPU-bound speed-up, replacement."""
    table = data["table"]

    def rows(figure, metric):
        return [e for e in table if e["figure"] == figure and
                e["metric"] == metric]

    fig, axes = plt.subplots(1, 3, figsize=(14, 3.6))
    panel(axes[0], rows("pool_tiny", "tasks_per_s"),
          "(P1) tiny tasks, 2 workers (x CPython Pool.map c1)",
          "tasks/s (log, higher is better)", log=True)
    panel(axes[1], rows("pool_cpu", "speedup_x"),
          "(P2) CPU-bound map, 2 workers: speed-up over serial",
          "x (higher is better)")
    axes[1].axvline(1.9, color="#d62728", lw=0.8, ls="--")
    panel(axes[2], rows("pool_replace", "replace_us"),
          "(P3) replacing a crashed worker (x one process start)",
          "us (log)", log=True)
    m = data["machine"]
    verdict = "  ".join("%s %s" % (t["status"], t["target"].split(" vs")[0])
                        for t in data["targets"]
                        if t["target"].startswith("pool"))
    fig.suptitle("multiproc::pool vs CPython Pool / ProcessPoolExecutor -- "
                 "medians, whiskers p10-p90\n%s CPUs %s, Linux %s, %s, "
                 "load %.1f" % (m["nproc"], m["cpu"], m["kernel"], m["date"],
                                m["loadavg_start"]), fontsize=9)
    fig.text(0.5, 0.01, verdict, ha="center", fontsize=6.5)
    fig.tight_layout(rect=(0, 0.05, 1, 0.9))
    fig.savefig(out, dpi=80)
    print("chart written to %s" % os.path.relpath(out))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        HERE, "results", "results.json")
    with open(path) as f:
        data = json.load(f)
    table = data["table"]
    figures = {e["figure"] for e in table}
    if "pool_tiny" in figures or "pool_cpu" in figures:
        pool_chart(data, os.path.join(os.path.dirname(path),
                                      "pool_chart.png"))
    if "startjoin" not in figures:
        return
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(path), "chart.png")

    def rows(figure, metric=None):
        return [e for e in table if e["figure"] == figure and
                (metric is None or e["metric"] == metric)]

    fig, axes = plt.subplots(2, 4, figsize=(14, 5.6))
    panel(axes[0][0], rows("startjoin", "latency_us"),
          "(1,6) start+join, empty callable", "us (log)", log=True)
    panel(axes[0][1], rows("startjoin200", "latency_us"),
          "(1) start+join, parent holds 200 MB", "us")
    panel(axes[0][2], rows("wake", "latency_us"),
          "(2) join wake latency", "us (log)", log=True)
    panel(axes[1][0], rows("overshoot", "overshoot_us"),
          "(3) join(50 ms) overshoot", "us (log)", log=True)
    panel(axes[1][1], rows("is_alive", "call_us"),
          "(4) is_alive() on a live child", "us per call")
    panel(axes[1][2], rows("children2000", "total_ms"),
          "(5) 2,000 children x 100 ms sleep: total", "ms (log)", log=True)
    forksize(axes[0][3], table)
    memory(axes[1][3], rows("children2000"))
    m = data["machine"]
    verdict = "  ".join("%s %s" % (t["status"], t["target"].split(" vs")[0])
                        for t in data["targets"]
                        if not t["target"].startswith("pool"))
    fig.suptitle("multiproc vs raw floor, CPython multiprocessing, "
                 "Boost.Process v2 -- medians, whiskers p10-p90\n"
                 "%s CPUs %s, Linux %s, %s" % (
                     m["nproc"], m["cpu"], m["kernel"], m["date"]),
                 fontsize=9)
    fig.text(0.5, 0.01, verdict, ha="center", fontsize=6.5)
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    fig.savefig(out, dpi=80)
    print("chart written to %s" % os.path.relpath(out))


if __name__ == "__main__":
    main()
