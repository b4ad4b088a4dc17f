#!/usr/bin/env python3
"""Tables of configs/refine_schedule.yaml: per optimizer and schedule, the base lr with the
lowest mean final suboptimality f - f* over the seeds (each seed's refined schedule comes from that
seed's tuned first pass), the mean and standard deviation of that final value, and
the shape of the refined schedules at their best lr (multiplier s = lr_t / lr: at the start,
where it peaks, at 50% and 90% of training).

    python3 scripts/refine_schedule_report.py [runs/refine_schedule/results.h5]
"""
import sys
from collections import defaultdict

import h5py
import numpy as np


def main(path, metric="suboptimality"):
    with h5py.File(path, "r") as f:
        cells = defaultdict(list)   # (optimizer, schedule, lr) -> run groups
        for row in f["index"][:]:
            g = f["runs"][row["run_id"].decode()]
            key = (row["optimizer"].decode(), row["schedule"].decode(), float(row["optimizer.lr"]))
            cells[key].append((row["status"].decode(), g))

        def final(status, g):
            v = g[metric][-1]
            return v if status == "completed" and np.isfinite(v) else np.inf

        best = {}
        for (opt, sched, lr), runs in cells.items():
            finals = [final(st, g) for st, g in runs]
            score = np.mean(finals)
            if (opt, sched) not in best or score < best[(opt, sched)][0]:
                best[(opt, sched)] = (score, np.std(finals), lr, runs)
        opts = sorted({k[0] for k in best}, key=lambda o: ["sgd", "adam"].index(o) if o in ("sgd", "adam") else 9)
        scheds = ["linear", "refined", "refined_l1", "cosine", "constant"]
        print(f"| optimizer | schedule | best lr | final {metric} (mean ± std over seeds) |")
        print("|---|---|---|---|")
        for opt in opts:
            for s in scheds:
                if (opt, s) in best:
                    score, std, lr, _ = best[(opt, s)]
                    print(f"| {opt} | {s} | {lr:.4g} | {score:.3e} ± {std:.1e} |")
        print("\nrefined schedules at their best lr (mean over seeds of s = lr_t / lr):\n")
        print("| optimizer | schedule | s at start | peak at | s at 50% | s at 90% |")
        print("|---|---|---|---|---|---|")
        for opt in opts:
            for s in ("refined", "refined_l1"):
                if (opt, s) not in best:
                    continue
                _, _, lr, runs = best[(opt, s)]
                shapes = []
                for _, g in runs:
                    steps, lrs = g["step"][1:], g["lr"][1:] / lr   # lr at log step k is step k-1's
                    frac = (steps - 1) / (steps[-1] - 1)
                    shapes.append((lrs[0], frac[np.argmax(lrs)], np.interp(0.5, frac, lrs), np.interp(0.9, frac, lrs)))
                m = np.mean(shapes, axis=0)
                print(f"| {opt} | {s} | {m[0]:.3f} | {100 * m[1]:.0f}% | {m[2]:.3f} | {m[3]:.3f} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/refine_schedule/results.h5")
