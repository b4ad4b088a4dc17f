"""configs/optimizers_mlp.yaml: validates, and a 20-step one-seed run of every (optimizer, lr)
pair completes with the optimizer state sizes that docs/optimizers_mlp.md reports, recomputed
here from the layer shapes (independent of the Swift code)."""
import h5py
import pandas as pd

from conftest import ROOT, run_exprun

CONFIG = ROOT / "configs" / "optimizers_mlp.yaml"


def shapes(widths):
    """(rows, cols) of each weight matrix and the bias lengths of an MLP with these widths."""
    mats = [(widths[i + 1], widths[i]) for i in range(len(widths) - 1)]
    return mats, [m for m, _ in mats]


def expected_state(kind, widths, rank=16, density=0.25):
    mats, biases = shapes(widths)
    d = sum(m * n for m, n in mats) + sum(biases)
    bias_adam = 2 * sum(biases)
    if kind == "sgd":
        return 0
    if kind == "momentum":
        return d
    if kind in ("adam", "adamw", "adabelief"):
        return 2 * d
    if kind == "diffgrad":
        return 3 * d
    if kind == "swan":
        return bias_adam
    if kind == "frugal":   # Adam moments on floor(rho n) columns of each m x n block
        return bias_adam + sum(2 * m * int(density * n) for m, n in mats)
    if kind == "galore":   # moments r x other side + side x r projector, r clamped
        return bias_adam + sum(2 * min(rank, m, n) * max(m, n) + min(m, n) * min(rank, m, n) for m, n in mats)
    if kind in ("dct_adamw", "dct_adamw_rot"):   # moments r x other side + r indices
        return bias_adam + sum(2 * min(rank, m, n) * max(m, n) + min(rank, m, n) for m, n in mats)
    raise KeyError(kind)


def test_validates():
    proc = run_exprun("validate", CONFIG)
    assert "464 runs" in proc.stdout


def test_smoke_run_and_state_sizes(tmp_path):
    out = tmp_path / "mlp"
    run_exprun(CONFIG, "--set", "run.steps=20", "--set", "seeds=1", "--out", out, "--quiet", timeout=120)
    widths = {"digits_mlp": [64, 64, 64, 10], "teacher_mlp": [16, 64, 64, 4]}
    with h5py.File(out / "results.h5", "r") as f:
        index = pd.DataFrame(f["index"][()])
        assert len(index) == 2 * 58   # 58 (optimizer, lr) pairs
        seen = set()
        for run_id in index["run_id"]:
            g = f["runs"][run_id.decode()]
            a = g.attrs
            # only the top of SGD's window (lr 3.16) may blow up (it does on both problems)
            if a["optimizer"] == "sgd" and a["optimizer.lr"] > 3:
                assert a["status"] in ("completed", "diverged")
                continue
            assert a["status"] == "completed", (a["optimizer"], a["optimizer.lr"], a["message"])
            for metric in ("train_loss", "test_loss", "test_accuracy"):
                assert len(g[metric]) == len(g["step"]) and g["step"][-1] == 20
            w = widths[a["model"]]
            assert a["dim"] == expected_state("momentum", w)
            assert a["optimizer_state_size"] == expected_state(a["optimizer"], w), (a["model"], a["optimizer"])
            seen.add(a["optimizer"])
    assert len(seen) == 11
