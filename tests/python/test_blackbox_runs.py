"""Black-box methods and test functions through the CLI: function evaluations counted and
stored, success metrics, one-byte SPSA's counters, first-order runs on data unchanged (their
black-box metrics NaN), and determinism across --jobs."""
import h5py
import numpy as np
import pandas as pd

from conftest import run_exprun

CONFIG = """
name: blackbox_small
seeds: 2
run:
  steps: 60
  log: {every: 20}
  metrics: [train_loss, dist_to_opt, dist_inf_to_opt, success, function_evals, grad_evals, sigma, population, restarts]
models:
  rastrigin: {kind: rastrigin, dim: 5, a: 2.5}
optimizers:
  cbo: {kind: cbo, particles: 30}
  cmaes: {kind: cmaes, sigma0: 2, population_size: 10}
  sgd: {kind: sgd, lr: 0.01}
  hop: {kind: consensus_hopping, particles: 20, sigma: 0.5}
sweep:
  optimizer: [cbo, cmaes, sgd, hop]
"""

ZO_CONFIG = """
name: zo_small
seeds: 1
run:
  steps: 40
  batch_size: 16
  log: {every: 10}
  metrics: [train_loss, function_evals, grad_evals, bytes_sent, machines, replica_mismatch]
datasets:
  data: {kind: synthetic_classification, n: 200, dim: 6, test_fraction: 0.2}
models:
  mlp: {kind: mlp, dataset: data, hidden: [8]}
optimizers:
  sgd: {kind: sgd, lr: 0.1}
  mezo: {kind: mezo, lr: 0.001, directions: 2}
  mezo_adam: {kind: mezo, lr: 0.001, transforms: [scale_by_adam]}
  onebyte: {kind: one_byte_spsa, lr: 0.001, machines: 3, samples: 2, joins: [10], leaves: [25]}
sweep:
  optimizer: [sgd, mezo, mezo_adam, onebyte]
"""


def run(tmp_path, text, *args):
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "c.yaml"
    config.write_text(text)
    out = tmp_path / "out"
    run_exprun(config, "--out", out, "--quiet", *args)
    return out / "results.h5"


def runs(path):
    with h5py.File(path, "r") as f:
        index = pd.DataFrame(f["index"][()])
        for c in index.columns:
            if index[c].dtype == object:
                index[c] = index[c].str.decode("utf-8")
        out = {}
        for _, row in index.iterrows():
            g = f["runs"][row["run_id"]]
            out.setdefault(row["optimizer"], []).append(
                ({k: g[k][()] for k in g if isinstance(g[k], h5py.Dataset)}, dict(g.attrs)))
        return out


def test_population_methods_count_evaluations_and_find_the_minimum(tmp_path):
    res = runs(run(tmp_path, CONFIG))
    for series, attrs in res["cbo"]:
        assert list(series["step"]) == [0, 20, 40, 60]
        assert list(series["function_evals"]) == [0, 600, 1200, 1800]        # 30 particles per step
        assert attrs["status"] == "completed" and attrs["function_evals"] == 1800
        assert np.all(np.isnan(series["sigma"]))                               # a CMA-ES counter
    for series, attrs in res["cmaes"]:
        assert list(series["function_evals"]) == [0, 200, 400, 600]
        assert list(series["population"])[1:] == [10, 10, 10]
        assert series["sigma"][-1] < 2
        assert np.all(np.diff(series["train_loss"]) <= 0)                      # report: best point so far
    for series, attrs in res["sgd"]:
        # Gradient descent on a test function: one gradient call per step, counted both ways.
        assert list(series["grad_evals"]) == [0, 20, 40, 60]
        assert list(series["function_evals"]) == [0, 20, 40, 60]
    for series, _ in res["cbo"] + res["cmaes"] + res["sgd"] + res["hop"]:
        # dist_inf_to_opt and success agree; dist_to_opt is the Euclidean distance to x* = 0.
        assert np.all((series["dist_inf_to_opt"] < 0.25) == (series["success"] == 1))
        assert np.all(series["dist_to_opt"] >= series["dist_inf_to_opt"] - 1e-15)
    # SGD from x_0 = 2 stays in a local minimum; the seeds only change the random methods.
    assert res["sgd"][0][0]["success"][-1] == 0
    assert not np.array_equal(res["cbo"][0][0]["train_loss"], res["cbo"][1][0]["train_loss"])


def test_zeroth_order_methods_on_data_and_sgd_unchanged(tmp_path):
    res = runs(run(tmp_path, ZO_CONFIG))
    (sgd, _), = res["sgd"]
    assert np.all(np.isnan(sgd["function_evals"])) and np.all(np.isnan(sgd["bytes_sent"]))
    assert list(sgd["grad_evals"]) == [0, 160, 320, 480, 640]
    (mezo, attrs), = res["mezo"]
    assert list(mezo["function_evals"]) == [0, 40, 80, 120, 160]              # 2 directions x 2 losses
    assert list(mezo["grad_evals"]) == [0, 0, 0, 0, 0]
    assert attrs["optimizer_state_size"] == 2                                 # in place: no vector held
    (adam, attrs), = res["mezo_adam"]
    assert attrs["optimizer_state_size"] > 2 * attrs["dim"]                   # gradient buffer + moments
    (one, attrs), = res["onebyte"]
    # 3 machines until round 10, 4 until 25, then 3; 2 scalars each, one byte per scalar,
    # plus one download of the weights (8 bytes per parameter) at round 10.
    # Log point t is recorded before round t: the join of round 10 shows at step 20.
    assert list(one["machines"]) == [3, 3, 4, 3, 3]
    scalars = 10 * 6 + 15 * 8 + 15 * 6
    assert one["bytes_sent"][-1] == scalars + 8 * attrs["dim"]
    assert list(one["function_evals"])[-1] == 2 * scalars
    assert np.all(one["replica_mismatch"][1:] == 0)
    for series, _ in res["mezo"] + res["onebyte"] + res["mezo_adam"]:
        assert np.all(np.isfinite(series["train_loss"]))


def test_black_box_runs_are_bit_identical_across_jobs(tmp_path):
    a = runs(run(tmp_path / "a", CONFIG, "--jobs", "1"))
    b = runs(run(tmp_path / "b", CONFIG, "--jobs", "2"))
    for method in a:
        for (sa, _), (sb, _) in zip(a[method], b[method]):
            for key in sa:
                if key != "wall_time":
                    assert np.array_equal(sa[key], sb[key], equal_nan=True), (method, key)
