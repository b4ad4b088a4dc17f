"""End-to-end runs through the CLI: layout, determinism across --jobs, resume after SIGKILL,
Ctrl-C, bad input, dry runs. Each test checks the contract of DESIGN.md, not internals."""
import os
import pathlib
import signal
import subprocess
import time

import h5py
import numpy as np
import pandas as pd
import pytest

from conftest import EXPRUN, ROOT, run_exprun

CONFIG = ROOT / "tests" / "configs" / "small_sgd.yaml"


def read_arrays(path):
    """Every dataset of every run, keyed by (run_id, dataset path)."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and name.startswith("runs/"):
                out[name] = obj[()]
        f.visititems(visit)
    return out


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "small"
    run_exprun(CONFIG, "--out", out, "--jobs", "1", "--quiet")
    return out


def test_layout_and_interop(reference_run):
    path = reference_run / "results.h5"
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "exprun-results/1"
        for key in ["exprun_version", "experiment", "config", "created_utc", "swept", "host", "cpu_model",
                    "cpu_cores", "hdf5_version", "blas"]:
            assert key in f.attrs, key
        assert list(f.attrs["swept"]) == ["model", "optimizer.schedule", "optimizer.lr"]
        index = pd.DataFrame(f["index"][()])
        for c in index.columns:
            if index[c].dtype == object:
                index[c] = index[c].str.decode("utf-8")
        assert len(index) == 2 * 2 * 2 * 3
        assert {"run_id", "status", "seed", "model", "optimizer.schedule", "optimizer.lr"} <= set(index.columns)
        assert set(index["status"]) <= {"completed", "diverged"}
        for run_id in index["run_id"]:
            g = f["runs"][run_id]
            assert g.attrs["status"] in ("completed", "diverged")
            assert g.attrs["optimizer.kind"] == "sgd"
            assert "wall_seconds" in g.attrs and "seed" in g.attrs
            n = len(g["step"])
            assert g["step"].dtype == np.int64 and n > 2
            assert g["step"][0] == 0 and g["step"][-1] == 2000 or g.attrs["status"] == "diverged"
            for metric in ["train_loss", "suboptimality", "grad_norm", "test_loss", "lr", "grad_evals", "batch_loss"]:
                assert g[metric].dtype == np.float64 and len(g[metric]) == n
            for view in ["avg", "suffix_avg", "ema"]:
                assert len(g[view]["train_loss"]) == n
            # f* is certified: suboptimality is train_loss - f_star, non-negative up to rounding.
            sub = g["suboptimality"][()]
            assert np.allclose(sub, g["train_loss"][()] - g.attrs["f_star"], rtol=0, atol=1e-12)
            assert (sub > -1e-9).all()
            # grad_evals counts batch_size examples per step.
            assert np.array_equal(g["grad_evals"][()], 8.0 * g["step"][()])
    assert (reference_run / "config.yaml").exists()
    assert (reference_run / "summary.txt").exists()
    assert len(list((reference_run / "shards").glob("*.h5"))) == 24


def test_jobs_do_not_change_results(reference_run, tmp_path):
    out = tmp_path / "j2"
    run_exprun(CONFIG, "--out", out, "--jobs", "2", "--quiet")
    a, b = read_arrays(reference_run / "results.h5"), read_arrays(out / "results.h5")
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k], equal_nan=True), k   # bit-identical, NaN included
    with h5py.File(reference_run / "results.h5") as f, h5py.File(out / "results.h5") as g:
        assert np.array_equal(f["index"][()], g["index"][()])


def test_resume_after_sigkill(tmp_path):
    # Runs of ~0.1 s each (24 of them), so the kill lands mid-sweep on any machine.
    longer = ["--set", "run.steps=600000", "--jobs", "2", "--quiet"]
    reference = tmp_path / "uninterrupted"
    run_exprun(CONFIG, "--out", reference, *longer)
    out = tmp_path / "killed"
    shards = out / "shards"
    proc = subprocess.Popen([EXPRUN, str(CONFIG), "--out", str(out), *longer], cwd=ROOT,
                            env={**os.environ, "EXPRUN_DATA": str(ROOT / "data")})
    deadline = time.time() + 120
    while time.time() < deadline and len(list(shards.glob("[!.]*.h5"))) < 3 and proc.poll() is None:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    left = [p for p in shards.glob("*.h5") if not p.name.startswith(".tmp")]
    assert 0 < len(left) < 24, f"kill came too late or too early: {len(left)} shards"
    for p in left:                       # every shard the kill left opens and is complete
        with h5py.File(p, "r") as f:
            (run_id,) = list(f["runs"])
            assert f["runs"][run_id].attrs["status"] in ("completed", "diverged")
    proc = run_exprun(CONFIG, "--out", out, *longer[:-1])
    assert "resuming" in proc.stderr
    a, b = read_arrays(reference / "results.h5"), read_arrays(out / "results.h5")
    assert a.keys() == b.keys()
    for k in a:
        assert np.array_equal(a[k], b[k], equal_nan=True), k


def test_ctrl_c_keeps_finished_runs(tmp_path):
    out = tmp_path / "int"
    cmd = [EXPRUN, str(CONFIG), "--out", str(out), "--jobs", "1", "--set", "run.steps=100000", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    shards = out / "shards"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(shards.glob("[!.]*.h5"))) < 2:
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    finished = len(list(shards.glob("[!.]*.h5")))
    assert 2 <= finished < 24
    with h5py.File(out / "results.h5", "r") as f:
        assert len(f["index"]) == finished


@pytest.mark.parametrize("edit, message", [
    (("lr: 0.1", "lr: -0.1"), "lr must be"),
    (("kind: sgd", "kind: sgdd"), "did you mean 'sgd'"),
    (("batch_size: 8", "batch_size: 0"), "batch_size must be >= 1"),
])
def test_bad_config_exit_2_nothing_written(tmp_path, edit, message):
    text = CONFIG.read_text().replace(*edit)
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    out = tmp_path / "out"
    proc = run_exprun(cfg, "--out", out, check=False)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert f"{cfg}:" in proc.stderr          # file:line:col
    assert not out.exists()
    proc = run_exprun("validate", cfg, check=False)
    assert proc.returncode == 2 and message in proc.stderr


def test_bad_arguments_exit_2(tmp_path):
    assert run_exprun(CONFIG, "--jobs", "0", check=False).returncode == 2
    assert run_exprun(CONFIG, "--shard", "3/2", check=False).returncode == 2
    assert run_exprun(tmp_path / "missing.yaml", check=False).returncode == 2


def test_dry_run_prints_grid(tmp_path):
    proc = run_exprun(CONFIG, "--dry-run", "--set", "seeds=2", "--out", tmp_path / "x")
    lines = proc.stdout.strip().splitlines()
    assert "16 stochastic runs" in lines[0]
    assert lines[1].split()[:2] == ["run_id", "seed"]
    assert len(lines) == 2 + 16
    assert not (tmp_path / "x").exists()


def test_set_list_makes_an_axis(tmp_path):
    proc = run_exprun(CONFIG, "--dry-run", "--set", "model.l2=[0.1, 1.0]", "--set", "seeds=1")
    assert "16 stochastic runs" in proc.stdout
    assert "model.l2" in proc.stdout.splitlines()[1]


def test_shards_and_merge(tmp_path):
    out = tmp_path / "sharded"
    for i in range(3):
        run_exprun(CONFIG, "--out", out, "--shard", f"{i}/3", "--quiet", "--set", "seeds=1")
    assert not (out / "results.h5").exists()
    proc = run_exprun("merge", out)
    assert "merged 8 of 8" in proc.stdout
    with h5py.File(out / "results.h5", "r") as f:
        assert len(f["index"]) == 8


def test_validate_and_list(tmp_path):
    assert "ok" in run_exprun("validate", CONFIG).stdout
    text = run_exprun("list").stdout
    for word in ["datasets:", "optimizers:", "sgd", "momentum", "metrics:", "suboptimality"]:
        assert word in text
    assert "momentum" in run_exprun("list", "sgd").stdout
    proc = run_exprun("list", "sgdd", check=False)
    assert proc.returncode == 2 and "did you mean 'sgd'" in proc.stderr
