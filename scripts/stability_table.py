"""The README's table of configs/stability.yaml: per model, batch size and step size, the
seeds that converged and the means over them of sharpness, trace, eta * sharpness,
eta * trace, ||theta|| and the test loss at the last log point (h5py only).

    python3 scripts/stability_table.py runs/stability/results.h5
"""
import sys

import h5py
import numpy as np


def rows(path):
    out = {}
    with h5py.File(path, "r") as f:
        for rid in f["runs"]:
            g = f["runs"][rid]
            a = g.attrs
            key = (str(a["model"]), str(a["run.batch_size"]), float(a["optimizer.lr"]))
            last = {m: float(g[m][-1]) for m in ("sharpness", "hessian_trace", "param_norm", "test_loss", "train_loss")}
            out.setdefault(key, []).append((str(a["status"]), last))
    return out


def main(path):
    order = {"full": 0}
    print("| model | method | η | converged | train loss | λ_max | η·λ_max | Tr H | η·Tr H | ‖θ‖ | test loss |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for (model, batch, lr), runs in sorted(rows(path).items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], int(kv[0][1]) if kv[0][1].isdigit() else 9), kv[0][2])):
        ok = [r for s, r in runs if s == "completed"]
        method = "GD" if batch == "full" else f"SGD B={batch}"
        if not ok:
            print(f"| {model} | {method} | {lr:g} | 0/{len(runs)} (diverged) | | | | | | | |")
            continue
        m = {k: np.mean([r[k] for r in ok]) for k in ok[0]}
        print(f"| {model} | {method} | {lr:g} | {len(ok)}/{len(runs)} | {m['train_loss']:.1e} | {m['sharpness']:.3g} | "
              f"{lr * m['sharpness']:.2f} | {m['hessian_trace']:.4g} | {lr * m['hessian_trace']:.2f} | "
              f"{m['param_norm']:.3g} | {m['test_loss']:.3g} |")


if __name__ == "__main__":
    main(sys.argv[1])
