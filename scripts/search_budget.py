#!/usr/bin/env python3
"""Best final metric found vs total steps spent, for results files of one problem searched
different ways (the README's grid / random search / successive halving comparison).

    python3 scripts/search_budget.py NAME=results.h5 [NAME=results.h5 ...] [--metric test_loss] [--also test_accuracy]

For each file: the steps spent per seed (the sum of run.steps over its runs, divided by the
number of seeds), the candidates tried, and the candidate with the best seed mean of the
metric's last value among the runs at the largest budget (a halving sweep's last rung), with
that mean (and the --also metrics' means for the same candidate).
"""
import argparse
import collections

import h5py
import numpy as np


def summarize(path, metric, also):
    with h5py.File(path, "r") as f:
        swept = [s.decode() if isinstance(s, bytes) else str(s) for s in f.attrs["swept"]]
        keys = [s for s in swept if s not in ("run.steps", "rung")]
        runs = []
        for run_id in f["runs"]:
            g = f["runs"][run_id]
            a = g.attrs
            status = a["status"].decode() if isinstance(a["status"], bytes) else str(a["status"])
            values = {m: (float(g[m][-1]) if m in g and status == "completed" else np.nan) for m in [metric] + also}
            runs.append((tuple(str(a[k]) if k in a else "" for k in keys), int(a["seed"]), int(a["run.steps"]), values))
    seeds = len({r[1] for r in runs})
    spent = sum(r[2] for r in runs) / seeds
    full = max(r[2] for r in runs)
    cells = collections.defaultdict(list)
    for key, _, steps, values in runs:
        if steps == full:
            cells[key].append(values)
    means = {k: {m: float(np.mean([v[m] for v in vs])) for m in [metric] + also} for k, vs in cells.items()}
    finite = {k: v for k, v in means.items() if np.isfinite(v[metric])}
    best = min(finite, key=lambda k: finite[k][metric])
    tried = len({r[0] for r in runs})
    return spent, tried, dict(zip(keys, best)), finite[best]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("files", nargs="+")
    p.add_argument("--metric", default="test_loss")
    p.add_argument("--also", action="append", default=[])
    args = p.parse_args()
    print(f"| search | candidates | steps per seed | best {args.metric} | " + " | ".join(args.also) + " | best candidate |")
    print("|---|---|---|---|" + "---|" * len(args.also) + "---|")
    for item in args.files:
        name, path = item.split("=", 1)
        spent, tried, best, values = summarize(path, args.metric, args.also)
        point = ", ".join(f"{k.split('.')[-1]} {float(v):.3g}" for k, v in best.items())
        print(f"| {name} | {tried} | {spent:.0f} | {values[args.metric]:.4f} | "
              + " | ".join(f"{values[m]:.4f}" for m in args.also) + f" | {point} |")


if __name__ == "__main__":
    main()
