#!/usr/bin/env python3
"""Tables of configs/srrw.yaml (README, "Self-repellent random walks"): per step-size regime and
walk, the error ||θ_n - θ*||² and its spread over seeds at the end, the CLT-scaled errors that
estimate the traces of the asymptotic covariances, their ratio to the base chain (α = 0), and
the log-log slope of those traces against α next to the paper's predictions: O(1/α²) for θ in
regime (i) (Hu, Doshi, Eun 2024), O(1/α) for the visit measure x (Doshi et al. 2023).

    python3 scripts/srrw_report.py [runs/srrw/results.h5]

tr V_θ is estimated by the mean over seeds of ||θ_n - θ*||² / β_n, averaged over the log points
of the last decade of steps (n >= steps/10); tr V_x likewise from ||x_n - μ||² / γ_n.
"""
import sys
from collections import defaultdict

import h5py
import numpy as np

REGIMES = {"i": "(i) b > a", "ii": "(ii) a = b", "iii": "(iii) a > b"}


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def main(path):
    cells = defaultdict(list)
    with h5py.File(path, "r") as f:
        for run_id, g in f["runs"].items():
            a = g.attrs
            if text(a["status"]) != "completed":
                continue
            kind = text(a["walk.kind"])
            alpha = float(a["walk.alpha"]) if "walk.alpha" in a else 0.0
            key = (text(a["step_regime"]), float(a["walk.gamma_exponent"]), float(a["walk.beta_exponent"]), kind, alpha)
            step = g["step"][()]
            tail = step >= step[-1] / 10
            cells[key].append({
                "final": g["theta_error"][()][-1],
                "final_avg": g["avg"]["theta_error"][()][-1] if "avg" in g else np.nan,
                "v_theta": np.mean(g["scaled_error"][()][tail]),
                "v_x": np.mean(g["scaled_visit_error"][()][tail]),
                "tv": g["visit_tv"][()][-1],
            })
    by_regime = defaultdict(list)
    for key, runs in cells.items():
        by_regime[key[:3]].append((key[3:], runs))
    for (regime, a, b), rows in sorted(by_regime.items()):
        rows.sort(key=lambda r: r[0][1])
        base = next((r for (kind, alpha), r in rows if alpha == 0), None)
        print(f"\nregime {REGIMES[regime]}: gamma_n = (n+1)^-{a}, beta_n = c (n+1)^-{b}   ({len(rows[0][1])} seeds)")
        print(f"{'walk':>10} {'alpha':>6} {'E||θ-θ*||²':>11} {'sd':>10} {'avg view':>10} {'tr V_θ':>9} {'/ base':>7}"
              f" {'tr V_x':>9} {'/ base':>7} {'TV(x,μ)':>9}")
        vt0 = np.mean([r["v_theta"] for r in base]) if base else np.nan
        vx0 = np.mean([r["v_x"] for r in base]) if base else np.nan
        alphas, vts, vxs = [], [], []
        for (kind, alpha), runs in rows:
            final = np.array([r["final"] for r in runs])
            vt, vx = np.mean([r["v_theta"] for r in runs]), np.mean([r["v_x"] for r in runs])
            print(f"{kind:>10} {alpha:6g} {final.mean():11.3e} {final.std(ddof=1) if len(final) > 1 else 0:10.2e}"
                  f" {np.mean([r['final_avg'] for r in runs]):10.3e} {vt:9.3g} {vt / vt0:7.3f} {vx:9.3g} {vx / vx0:7.3f}"
                  f" {np.mean([r['tv'] for r in runs]):9.2e}")
            if alpha > 0:
                alphas.append(alpha); vts.append(vt); vxs.append(vx)
        if len(alphas) >= 2:
            st = np.polyfit(np.log(alphas), np.log(vts), 1)[0]
            sx = np.polyfit(np.log(alphas), np.log(vxs), 1)[0]
            print(f"  log-log slope over alpha {alphas}: tr V_θ {st:+.2f} (paper, regime i: -2), tr V_x {sx:+.2f} (paper: -1)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/srrw/results.h5")
