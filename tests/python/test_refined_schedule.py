"""The `refined` schedule (Defazio et al. 2023, specs-a section 4) against a numpy/scipy
re-implementation of the official code (facebookresearch/adaptive_scheduling: the README's
median filter recipe with scipy.ndimage.median_filter and np.pad(mode='reflect'), visual.py's
resampling to 10,000 points, find_closed_form_schedule's weights), through a real two-pass
sweep: every refined run's recorded lr must be the reference schedule built from the first-pass
run it read (the one with the lowest final train_loss among its inputs), for SGD's l2 variant
and Adam's l1 variant, with a second pass longer and one shorter than the first."""
import h5py
import numpy as np
from scipy.ndimage import median_filter

from conftest import run_exprun

CONFIG = """
name: refine_check
seeds: 2
run: {steps: 300, batch_size: 4, log: {every: 1}, metrics: [train_loss, batch_grad_norm, batch_grad_norm_l1, lr]}
datasets:
  d1: {kind: synthetic_classification, n: 300, dim: 8}
models:
  m1: {kind: logistic, dataset: d1, l2: 1.0e-3}
schedules:
  linear: {kind: linear_decay}
  refined: {kind: refined, from: first_pass}
  refined_l1: {kind: refined, from: first_pass, variant: adam}
optimizers:
  sgd: {kind: sgd, lr: 0.5}
  adam: {kind: adam, lr: 0.05}
selections:
  first_pass: {schedule: linear, same: [seed, optimizer]}
sweep:
  optimizer: [sgd, adam]
  optimizer.lr: [0.03, 0.3]
  zip: {schedule: [linear, refined, refined_l1], run.steps: [300, 450, 200]}
"""


def reference_lr(steps, norms, base, T, points=10_000, tau=0.1, power=2.0):
    """The official pipeline on the norms logged at `steps` (the norm of step s-1's gradient)."""
    T1 = steps[-1]
    x = (steps - 1) / (T1 - 1)
    n = max(points, len(norms))
    raw = np.interp(np.linspace(0, 1, n), x, norms)
    k = 2 * (int(tau * points) // 2) + 1
    pad = 2 * k
    filtered = median_filter(np.pad(raw, (0, pad), mode="reflect"), size=k, mode="nearest")[:-pad]
    smoothed = np.interp(np.linspace(0, 1, points), np.linspace(0, 1, len(filtered)), filtered)
    w = smoothed ** -power
    tail = np.flip(np.cumsum(np.flip(w)))
    s = np.zeros(points)
    s[:-1] = w[:-1] * tail[1:]
    s /= s.max()
    return base * np.interp(np.arange(T) / (T - 1), np.linspace(0, 1, points), s)


def test_refined_runs_match_the_official_recipe(tmp_path):
    cfg = tmp_path / "refine_check.yaml"
    cfg.write_text(CONFIG)
    out = tmp_path / "out"
    run_exprun(cfg, "--out", out, "--quiet", "--jobs", "2")
    with h5py.File(out / "results.h5", "r") as f:
        index = f["index"][:]
        assert len(index) == 24 and all(row["status"] == b"completed" for row in index)
        checked = 0
        for row in index:
            schedule = row["schedule"].decode()
            if schedule == "linear":
                continue
            g = f["runs"][row["run_id"].decode()]
            inputs = [i.decode() if isinstance(i, bytes) else i for i in g.attrs["inputs"]]
            assert len(inputs) == 2   # the two step sizes of its optimizer and seed
            ups = [f["runs"][i] for i in inputs]
            assert all(u.attrs["optimizer"] == g.attrs["optimizer"] and u.attrs["seed"] == g.attrs["seed"] for u in ups)
            best = min(ups, key=lambda u: u["train_loss"][-1])
            series = "batch_grad_norm_l1" if schedule == "refined_l1" else "batch_grad_norm"
            steps, norms = best["step"][1:], best[series][1:]
            T = int(row["run.steps"])
            expected = reference_lr(steps, norms, float(g.attrs["optimizer.lr"]), T,
                                    power=1.0 if schedule == "refined_l1" else 2.0)
            lr = g["lr"][1:]   # the lr at log step s is step s-1's
            assert len(lr) == T
            np.testing.assert_allclose(lr, expected, rtol=1e-9, atol=1e-15)
            # The refined schedule is no linear decay here: the norms change along the first pass.
            assert np.max(np.abs(lr / lr.max() - (1 - np.arange(T) / (T - 1)))) > 0.02
            checked += 1
        assert checked == 16
