"""search: random and Sobol points against scipy (the laws by Kolmogorov-Smirnov, the Sobol
sequence exactly), successive halving's rungs recomputed from results.h5, its resume and
--jobs invariance, and bad search specs (file:line:col, exit 2, nothing written)."""
import math
import os
import signal
import re
import shutil
import subprocess
import textwrap

import h5py
import numpy as np
import pytest
from scipy import stats
from scipy.stats import qmc

from conftest import EXPRUN, ROOT, run_exprun

BASE = """name: s
seeds: 1
run: {steps: 10, batch_size: 4, metrics: [train_loss]}
datasets:
  d1: {kind: synthetic_regression, n: 50, dim: 3}
models:
  m1: {kind: least_squares, dataset: d1, l2: 0.1}
optimizers:
  sgd: {kind: sgd, lr: 0.1}
  adam: {kind: adam, lr: 0.01}
"""
HALVING = ROOT / "tests" / "configs" / "search_halving.yaml"


def dry_run_points(tmp_path, search, columns):
    """The sampled values of `columns`, in grid order, read from --dry-run's table."""
    config = tmp_path / "s.yaml"
    config.write_text(BASE + search)
    out = run_exprun(config, "--dry-run").stdout.splitlines()
    head = out[1].split()
    rows = [line.split() for line in out[2:] if line.strip()]
    return {c: np.array([float(r[head.index(c)]) for r in rows]) for c in columns}


def test_random_laws_pass_kolmogorov_smirnov(tmp_path):
    points = dry_run_points(tmp_path, """search:
  method: random
  samples: 500
  seed: 7
  space:
    optimizer.lr: [1.0e-4, 1.0]
    model.l2: {uniform: [0.5, 2.0]}
    optimizer.beta2: {loguniform: [1.0e-3, 0.5]}
sweep:
  optimizer: [adam]
""", ["optimizer.lr", "model.l2", "optimizer.beta2"])
    # lr is a step size: log-uniform by default.
    assert stats.kstest(np.log(points["optimizer.lr"]), stats.uniform(loc=math.log(1e-4), scale=-math.log(1e-4)).cdf).pvalue > 0.01
    assert stats.kstest(points["optimizer.lr"], stats.loguniform(1e-4, 1.0).cdf).pvalue > 0.01
    assert stats.kstest(points["model.l2"], stats.uniform(loc=0.5, scale=1.5).cdf).pvalue > 0.01
    assert stats.kstest(points["optimizer.beta2"], stats.loguniform(1e-3, 0.5).cdf).pvalue > 0.01
    # ... and the test can fail: the log-uniform points are far from uniform.
    assert stats.kstest(points["optimizer.lr"], stats.uniform(loc=1e-4, scale=1.0).cdf).pvalue < 1e-6


def test_int_and_choice_laws_are_uniform(tmp_path):
    config = tmp_path / "s.yaml"
    config.write_text(BASE + """search:
  method: random
  samples: 600
  space:
    run.batch_size: {int: [1, 6]}
    model.l2: {uniform: [0.0, 1.0]}     # makes every point distinct (identical runs are kept once)
sweep:
  optimizer: [sgd]
""")
    out = run_exprun(config, "--dry-run").stdout.splitlines()
    head = out[1].split()
    sizes = [int(line.split()[head.index("run.batch_size")]) for line in out[2:] if line.strip()]
    counts = np.bincount(sizes, minlength=7)[1:]
    assert counts.sum() == 600 and (counts > 0).all()
    assert stats.chisquare(counts).pvalue > 0.01


@pytest.mark.parametrize("n", [16, 37])
def test_sobol_is_scipys_sequence(tmp_path, n):
    ranges = {"optimizer.lr": (0.0, 1.0), "optimizer.beta1": (0.0, 0.9), "optimizer.beta2": (0.5, 0.99),
              "optimizer.eps": (1.0e-9, 1.0e-3), "optimizer.weight_decay": (0.0, 3.0), "model.l2": (0.25, 4.0)}
    space = "".join(f"    {k}: {{uniform: [{lo!r}, {hi!r}]}}\n" for k, (lo, hi) in ranges.items())
    points = dry_run_points(tmp_path, f"search:\n  method: sobol\n  samples: {n}\n  space:\n{space}sweep:\n  optimizer: [adam]\n",
                            list(ranges))
    expected = qmc.Sobol(len(ranges), scramble=False).random(n) if n & (n - 1) == 0 else None
    if expected is None:
        with pytest.warns(UserWarning):
            expected = qmc.Sobol(len(ranges), scramble=False).random(n)
    for k, (name, (lo, hi)) in enumerate(ranges.items()):
        # Values are rounded to 15 significant digits (as sweep helpers are).
        np.testing.assert_allclose(points[name], lo + expected[:, k] * (hi - lo), rtol=1e-14, atol=1e-300)


def final(f, run_id, metric):
    return f["runs"][run_id][metric][-1]


def read_rungs(path):
    """{rung: {candidate lr: [(run_id, seed, steps)]}} from the file's index and attributes."""
    with h5py.File(path, "r") as f:
        out = {}
        for run_id in f["runs"]:
            a = f["runs"][run_id].attrs
            out.setdefault(int(a["rung"]), {}).setdefault(float(a["optimizer.lr"]), []).append(
                (run_id, int(a["seed"]), int(a["run.steps"]), final(f, run_id, "train_loss")))
        return out


@pytest.fixture(scope="module")
def halving(tmp_path_factory):
    out = tmp_path_factory.mktemp("halving") / "res"
    run_exprun(HALVING, "--out", out, "--quiet", "--jobs", "2")
    return out


def test_halving_keeps_the_best_third_of_each_rung(halving):
    rungs = read_rungs(halving / "results.h5")
    assert sorted(rungs) == [0, 1, 2]
    assert [len(rungs[k]) for k in range(3)] == [9, 3, 1]
    for k, budget in enumerate([20, 60, 180]):
        for runs in rungs[k].values():
            assert sorted(r[1] for r in runs) == [0, 1]                 # both seeds
            assert all(r[2] == budget for r in runs)                    # the rung's budget
    # The survivors are the best third by the seed mean of the last train_loss (ties: grid order).
    for k in range(2):
        means = {lr: np.mean([r[3] for r in runs]) for lr, runs in rungs[k].items()}
        best = sorted(means, key=lambda lr: (means[lr] if np.isfinite(means[lr]) else math.inf))[:len(rungs[k]) // 3]
        assert sorted(best) == sorted(rungs[k + 1])
    # The nine candidates are the Sobol points of [1e-3, 1] on a log scale.
    u = qmc.Sobol(1, scramble=False).random(16)[:9, 0]
    np.testing.assert_allclose(sorted(rungs[0]), sorted(np.exp(np.log(1e-3) + u * (np.log(1.0) - np.log(1e-3)))), rtol=1e-14)


def test_halving_resumes_and_ignores_jobs(halving, tmp_path):
    # An interrupted sweep: the last rung and one run of the second never finished.
    copy = tmp_path / "res"
    shutil.copytree(halving, copy)
    rungs = read_rungs(halving / "results.h5")
    gone = [r[0] for runs in rungs[2].values() for r in runs] + [next(iter(rungs[1].values()))[0][0]]
    for run_id in gone:
        for shard in (copy / "shards").glob(f"{run_id}*"):
            shard.unlink()
    (copy / "results.h5").unlink()
    proc = run_exprun(HALVING, "--out", copy, "--jobs", "1")
    assert "(5 of 6 runs finished before)" in proc.stderr, proc.stderr
    cmp = subprocess.run(["python3", str(ROOT / "scripts" / "compare_results.py"), str(halving / "results.h5"),
                                        str(copy / "results.h5")], capture_output=True, text=True)
    assert cmp.returncode == 0, cmp.stdout + cmp.stderr


def test_halving_dry_run_lists_rungs():
    out = run_exprun(HALVING, "--dry-run").stdout
    assert "rung 0: 9 candidates x 20 steps" in out and "rung 2: 1 candidates x 180 steps" in out
    assert len([l for l in out.splitlines()[2:] if re.match(r"^[0-9a-f]{8,}", l)]) == 18


@pytest.mark.parametrize("search, where, text", [
    ("search: {method: sobl, samples: 4, space: {optimizer.lr: [0.1, 1.0]}}\n", "11:18", "unknown search method 'sobl'"),
    ("search: {method: random, samples: 4, space: {optimizer.lr: {uniform: [-1.0, 1.0]}}}\n", "11:70",
     "outside the interval >= 0 that optimizer 'sgd' declares for lr"),
    ("search: {method: random, samples: 4, space: {model.l2: {loguniform: [0.0, 1.0]}}}\n", "11:69", "loguniform needs low > 0"),
    ("search: {method: halving, min_budget: 10, max_budget: 5}\n", "11:55", "max_budget 5 is below min_budget 10"),
])
def test_bad_search_specs(tmp_path, search, where, text):
    config = tmp_path / "bad.yaml"
    config.write_text(BASE + search + "sweep:\n  optimizer: [sgd]\n")
    proc = run_exprun(config, "--out", tmp_path / "out", check=False)
    assert proc.returncode == 2, proc.stderr
    assert f"bad.yaml:{where}: " in proc.stderr and text in proc.stderr, proc.stderr
    assert "1 problem found" in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def test_summary_shows_the_last_rung_unless_asked(halving):
    last = run_exprun("summary", halving / "results.h5", "--format", "csv").stdout.strip().splitlines()
    assert len(last) == 2 and last[1].split(",")[last[0].split(",").index("rung")] == "2", last
    first = run_exprun("summary", halving / "results.h5", "--where", "rung=0", "--format", "csv").stdout.strip().splitlines()
    assert len(first) == 1 + 9, first                     # a header, then the nine candidates


def test_readme_search_examples_validate(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Search beyond the grid (`search:`)")[1].split("#### Random search and halving vs")[0]
    blocks = [textwrap.dedent(b) for b in re.findall(r"```yaml\n(.*?)```", section, re.S)]
    assert len(blocks) == 3
    for i, block in enumerate(blocks):
        config = tmp_path / f"readme{i}.yaml"
        sweep = "" if "sgd:" in block and "adam:" in block else "sweep:\n  optimizer: [sgd]\n"
        config.write_text(BASE + block.replace("test_loss", "train_loss") + sweep)   # BASE has no test set
        proc = run_exprun("validate", config, check=False)
        assert proc.returncode == 0, block + proc.stderr


def test_halving_interrupted_by_ctrl_c_resumes_to_the_same_file(halving, tmp_path):
    # SIGINT once the second rung has started (its runs are in flight or done), then re-run.
    out = tmp_path / "res"
    env = dict(os.environ, EXPRUN_DATA=str(ROOT / "data"))
    proc = subprocess.Popen([EXPRUN, str(HALVING), "--out", str(out), "--jobs", "2"], cwd=ROOT, env=env,
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    second = False
    for line in proc.stderr:
        second = second or line.startswith("rung 2 of 3")
        if second and line.startswith("progress:"):      # the rung's runner (and its trap) is running
            proc.send_signal(signal.SIGINT)
            break
    rest = proc.stderr.read()
    code = proc.wait(timeout=600)
    assert code == 0 or (code == 130 and "interrupted: " in rest and "runs finished and kept" in rest), (code, rest)
    run_exprun(HALVING, "--out", out, "--quiet")
    cmp = subprocess.run(["python3", str(ROOT / "scripts" / "compare_results.py"), str(halving / "results.h5"),
                          str(out / "results.h5")], capture_output=True, text=True)
    assert cmp.returncode == 0, cmp.stdout + cmp.stderr
