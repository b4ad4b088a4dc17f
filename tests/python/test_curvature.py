"""Curvature metrics through the whole tool, against numpy: on least squares the Hessian
A^T A / n + l2 I does not depend on the iterate, so sharpness must be numpy's largest
eigenvalue, Hutchinson's trace within 3 of its standard errors (Rademacher probes:
Var z^T H z = 2 sum_{i != j} H_ij^2) of the trace, and the spectral density's nonzero bins
must hold numpy's eigenvalues (Lanczos with as many steps as the dimension is exact). A
minibatch of every row has the full Hessian. Results are bit-identical for any --jobs, and a
non-smooth model is refused with a located error."""
import h5py
import numpy as np

import exprun
from conftest import run_exprun

CONFIG = """
name: curv
seeds: 2
run:
  steps: 50
  batch_size: 5
  log: {points: 3}
  metrics: [train_loss, sharpness, hessian_trace, hessian_frobenius, batch_sharpness, batch_hessian_trace, hessian_density]
  curvature: {probes: 400, tolerance: 1.0e-12, power_iterations: 5000, lanczos_steps: 8, lanczos_probes: 3, bins: 40, batch_size: 60}
datasets:
  d: {kind: csv, path: d.csv, target_column: 0}
models:
  ls: {kind: least_squares, dataset: d, l2: 0.1}
optimizers:
  sgd: {kind: sgd, lr: 0.05}
"""


def write_data(tmp_path):
    rng = np.random.default_rng(3)
    a = rng.normal(size=(60, 8)) * np.linspace(0.3, 2.0, 8)
    y = a @ rng.normal(size=8) + 0.1 * rng.normal(size=60)
    np.savetxt(tmp_path / "d.csv", np.column_stack([y, a]), delimiter=",", fmt="%.17g")
    return a


def test_least_squares_curvature_matches_numpy(tmp_path):
    a = write_data(tmp_path)
    (tmp_path / "c.yaml").write_text(CONFIG)
    run_exprun(tmp_path / "c.yaml", "--out", tmp_path / "o1", "--quiet", "--jobs", "1")
    h = a.T @ a / len(a) + 0.1 * np.eye(8)
    eig = np.linalg.eigvalsh(h)
    se = np.sqrt(2 * (np.sum(h ** 2) - np.sum(np.diag(h) ** 2)) / 400)
    with h5py.File(tmp_path / "o1" / "results.h5", "r") as f:
        runs = list(f["runs"])
        assert len(runs) == 2
        for rid in runs:
            g = f["runs"][rid]
            n = len(g["step"])
            assert np.allclose(g["sharpness"][()], eig[-1], rtol=1e-8)
            assert np.allclose(g["batch_sharpness"][()], eig[-1], rtol=1e-8)   # a batch of all 60 rows
            assert np.all(np.abs(g["hessian_trace"][()] - np.trace(h)) <= 3 * se)
            assert np.all(np.abs(g["batch_hessian_trace"][()] - np.trace(h)) <= 3 * se)
            assert np.allclose(g["hessian_frobenius"][()], np.linalg.norm(h), rtol=0.1)
            masses, edges = g["hessian_density"][()], g["hessian_density_edges"][()]
            assert masses.shape == (n, 40) and edges.shape == (n, 41)
            assert np.allclose(masses.sum(axis=1), 1, atol=1e-12)
            for m, e in zip(masses, edges):
                assert e[0] <= eig[0] + 1e-9 and e[-1] >= eig[-1] - 1e-9
                for k in np.nonzero(m > 1e-12)[0]:
                    assert np.any((eig >= e[k] - 1e-9) & (eig <= e[k + 1] + 1e-9)), (k, e[k], e[k + 1], eig)
    # The reader: curves leave the 2-D series out; `histograms` returns it.
    df = exprun.load(tmp_path / "o1" / "results.h5")
    assert "hessian_density" not in set(df["metric"]) and "sharpness" in set(df["metric"])
    hist = exprun.histograms(tmp_path / "o1" / "results.h5")
    assert len(hist) == 2 and all(v[1].shape[1] == 40 for v in hist.values())

    # Bit-identical with two workers.
    run_exprun(tmp_path / "c.yaml", "--out", tmp_path / "o2", "--quiet", "--jobs", "2")
    with h5py.File(tmp_path / "o1" / "results.h5", "r") as f1, h5py.File(tmp_path / "o2" / "results.h5", "r") as f2:
        for rid in f1["runs"]:
            for name in ("sharpness", "hessian_trace", "batch_hessian_trace", "hessian_density", "hessian_density_edges"):
                assert np.array_equal(f1["runs"][rid][name][()], f2["runs"][rid][name][()], equal_nan=True)


def test_curvature_metric_on_a_non_smooth_model_is_refused_where_it_is_named(tmp_path):
    write_data(tmp_path)
    text = CONFIG.replace("{kind: least_squares, dataset: d, l2: 0.1}", "{kind: least_absolute_deviation, dataset: d}")
    (tmp_path / "c.yaml").write_text(text)
    proc = run_exprun(tmp_path / "c.yaml", "--out", tmp_path / "o", "--quiet", check=False)
    assert proc.returncode == 2
    lines = text.splitlines()
    row = next(i for i, l in enumerate(lines) if "metrics:" in l) + 1
    col = lines[row - 1].index("sharpness") + 1
    assert f"c.yaml:{row}:{col}: metric sharpness needs Hessian-vector products" in proc.stderr, proc.stderr
    assert not (tmp_path / "o").exists()
