#!/usr/bin/env python3
"""Tables of configs/lr_batch_scaling.yaml: per optimizer and batch size B, the best and the
largest stable effective step size, and the fitted exponents alpha of lr*(B) ~ B^alpha beside
the paper's 1 (SGD) and 1/2 (Adam) (Granziol, Zohren and Roberts 2022).

    python3 scripts/lr_batch_scaling_report.py [runs/lr_batch_scaling/results.h5]

- Effective lr: base lr x the batch-size rule's factor (B / B_0)^p, checked against what the
  run recorded at its first step (its `lr` series).
- Best: the lr with the lowest mean final train_loss over the seeds (a diverged seed: +inf).
- Largest stable: the largest lr at which every seed completed with a final train_loss below
  the starting one (no blow-up).
- Exponent: the least-squares slope of log2(lr) against log2(B), over every B and over B <= 64
  (before the largest stable lr of SGD saturates); SGD's largest stable lr is also shown beside
  the mean-square stability limit 2B/(B + d + 1) of SGD on least squares with N(0, I) features.
"""
import sys
from collections import defaultdict

import h5py
import numpy as np

PAPER = {"sgd": 1.0, "adam": 0.5}


def load(path):
    """(optimizer, B) -> effective lr -> list of (status, first loss, final loss)."""
    cells = defaultdict(lambda: defaultdict(list))
    with h5py.File(path, "r") as f:
        dim = None
        for row in f["index"][:]:
            g = f["runs"][row["run_id"].decode()]
            dim = int(g.attrs["dim"])
            opt, b = row["optimizer"].decode(), int(row["run.batch_size"])
            rule = {"linear": 1.0, "sqrt": 0.5, "none": 0.0}[g.attrs["schedule.rule"]]
            lr = float(g.attrs["optimizer.lr"]) * (b / int(g.attrs["schedule.base_batch_size"])) ** rule
            if len(g["lr"]) > 1:   # what the run used at its first step
                assert abs(g["lr"][1] - lr) <= 1e-12 * lr, (g["lr"][1], lr)
            loss = g["train_loss"][:]
            cells[(opt, b)][lr].append((row["status"].decode(), loss[0], loss[-1]))
    return cells, dim


def best_and_stable(runs_by_lr):
    best, best_score, stable = None, np.inf, None
    for lr in sorted(runs_by_lr):
        runs = runs_by_lr[lr]
        finals = [last if st == "completed" and np.isfinite(last) else np.inf for st, _, last in runs]
        score = np.mean(finals)
        if score < best_score:
            best, best_score = lr, score
        if all(st == "completed" and np.isfinite(last) and last < first for st, first, last in runs):
            stable = lr
    return best, best_score, stable


def slope(bs, lrs):
    x, y = np.log2(bs), np.log2(lrs)
    return np.polyfit(x, y, 1)[0] if len(bs) >= 2 else float("nan")


def main(path):
    cells, dim = load(path)
    opts = sorted({o for o, _ in cells}, key=lambda o: list(PAPER).index(o) if o in PAPER else 9)
    for opt in opts:
        bs = sorted(b for o, b in cells if o == opt)
        rows = [(b, *best_and_stable(cells[(opt, b)])) for b in bs]
        grid = sorted(cells[(opt, bs[0])])
        print(f"\n{opt}: effective lr grid per B spans {len(grid)} values (base lr x rule factor)\n")
        head = "| B | best lr | final train_loss at best | largest stable lr |"
        print(head + (" 2B/(B+d+1) |" if opt == "sgd" else ""))
        print("|---|---|---|---|" + ("---|" if opt == "sgd" else ""))
        for b, best, score, stable in rows:
            line = f"| {b} | {best:.4g} | {score:.5f} | {stable:.4g} |" if stable else f"| {b} | {best:.4g} | {score:.5f} | - |"
            if opt == "sgd":
                line += f" {2 * b / (b + dim + 1):.3g} |"
            print(line)
        b_all = [r[0] for r in rows]
        best_all = [r[1] for r in rows]
        stab = [(r[0], r[3]) for r in rows if r[3]]
        small = [r for r in rows if r[0] <= 64]
        print(f"\nfitted exponent of the best lr: {slope(b_all, best_all):.2f} (all B), "
              f"{slope([r[0] for r in small], [r[1] for r in small]):.2f} (B <= 64); paper {PAPER.get(opt, float('nan'))}")
        print(f"fitted exponent of the largest stable lr: {slope([s[0] for s in stab], [s[1] for s in stab]):.2f} (all B), "
              f"{slope([s[0] for s in stab if s[0] <= 64], [s[1] for s in stab if s[0] <= 64]):.2f} (B <= 64)")
        edge = [r[0] for r in rows if r[1] in (min(cells[(opt, r[0])]), max(cells[(opt, r[0])]))]
        if edge:
            print(f"warning: the best lr is on the edge of the grid for B = {edge}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/lr_batch_scaling/results.h5")
