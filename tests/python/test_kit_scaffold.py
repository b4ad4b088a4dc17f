"""`exprun init` end to end: scaffold a package, build it with SwiftPM (debug), run its own
tests and its config, and check its custom components everywhere the built-in ones go:
results.h5, `list`, the JSON Schema (the config validates with jsonschema). The custom
optimizer and model are checked against numpy re-implementations (normalized SGD with
momentum on least squares, gradient descent on the pseudo-Huber loss), full batch, to 1e-12.

The SwiftPM build compiles exprun's modules once more inside the scaffold (about 4 minutes of
2 cores here, more when the machine is shared): one package serves every test of this file."""
import json
import os
import shutil
import subprocess
import time

import h5py
import jsonschema
import numpy as np
import pytest
import yaml

from conftest import ROOT, run_exprun

SWIFT = shutil.which("swift")
pytestmark = pytest.mark.skipif(SWIFT is None, reason="swift is not installed")


def sh(args, cwd, timeout=3600):
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, args))} exited {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """The scaffolded package, built (debug), with its binary's path."""
    pkg = tmp_path_factory.mktemp("kit") / "my-methods"
    run_exprun("init", pkg, "--exprun-path", ROOT)
    start = time.monotonic()
    sh([SWIFT, "build", "--build-tests"], cwd=pkg)
    print(f"\nscaffold debug build: {time.monotonic() - start:.0f} s")
    binary = pkg / ".build" / "debug" / "my-methods"
    assert binary.exists()
    yield pkg, binary
    shutil.rmtree(pkg / ".build", ignore_errors=True)   # about 250 MB


def exe(binary, *args, cwd, check=True):
    env = dict(os.environ, EXPRUN_DATA=str(ROOT / "data"))
    proc = subprocess.run([str(binary), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=1200, env=env)
    if check:
        assert proc.returncode == 0, f"{args} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_init_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    proc = run_exprun("init", tmp_path, check=False)
    assert proc.returncode == 2
    assert f"{tmp_path}: the folder is not empty (1 entry: notes.txt)" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    file = tmp_path / "notes.txt"
    proc = run_exprun("init", file, check=False)
    assert proc.returncode == 2 and "exists and is not a folder" in proc.stderr


def test_the_scaffold_tests_pass(package):
    pkg, _ = package
    out = sh([SWIFT, "test", "--skip-build"], cwd=pkg)
    text = out.stdout + out.stderr
    assert "pseudoHuberGradientMatchesFiniteDifferences" in text and "normalizedMomentumStepsByHand" in text
    assert "2 tests" in text and "passed" in text


def test_its_config_runs_and_stores_the_custom_components(package, tmp_path):
    pkg, binary = package
    exe(binary, "configs/example.yaml", "--jobs", "2", "--quiet", "--out", tmp_path / "res",
        "--set", "run.steps=300", "--set", "seeds=2", cwd=pkg)
    with h5py.File(tmp_path / "res" / "results.h5", "r") as f:
        added = f.attrs["added_components"]
        assert (added.decode() if isinstance(added, bytes) else added) == "optimizer normalized_momentum, model pseudo_huber"
        runs = f["runs"]
        kinds = {(runs[r].attrs["model.kind"], runs[r].attrs["optimizer.kind"]) for r in runs}
        norm = lambda v: v.decode() if isinstance(v, bytes) else v
        kinds = {(norm(a), norm(b)) for a, b in kinds}
        assert kinds == {(m, o) for m in ("pseudo_huber", "least_squares") for o in ("normalized_momentum", "sgd")}
        assert len(runs) == 2 * 2 * 3 * 2
        for r in runs:
            g = runs[r]
            assert norm(g.attrs["status"]) == "completed"
            mine = norm(g.attrs["optimizer.kind"]) == "normalized_momentum"
            counter = g["momentum_norm"][()]
            # The method's counter is recorded for it (NaN before the first step), NaN for sgd.
            assert np.isfinite(counter[1:]).all() if mine else np.isnan(counter).all()
            if mine:
                assert g.attrs["optimizer.beta"] == 0.9
            assert np.isfinite(g["train_loss"][()]).all()


def test_list_and_schema_have_the_custom_components(package):
    pkg, binary = package
    listed = exe(binary, "list", "optimizers", "--names", cwd=pkg).stdout.split()
    assert "normalized_momentum" in listed and "sgd" in listed
    assert "pseudo_huber" in exe(binary, "list", "models", "--names", cwd=pkg).stdout.split()
    text = exe(binary, "list", "pseudo_huber", cwd=pkg).stdout
    assert "delta" in text and "transition between the quadratic and the linear regime" in text
    assert "momentum_norm" in exe(binary, "list", "metrics", cwd=pkg).stdout

    schema = json.loads(exe(binary, "schema", cwd=pkg).stdout)
    config = yaml.safe_load((pkg / "configs" / "example.yaml").read_text())
    jsonschema.validate(config, schema)
    # The declared range of the custom parameter is in the schema: beta must be below 1.
    config["optimizers"]["nsgdm"]["beta"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config, schema)
    # ... and exprun itself says where.
    bad = pkg / "configs" / "bad.yaml"
    bad.write_text((pkg / "configs" / "example.yaml").read_text().replace("beta: 0.9", "beta: 1.5"))
    proc = exe(binary, "validate", bad, cwd=pkg, check=False)
    assert proc.returncode == 2
    line = next(i for i, l in enumerate(bad.read_text().splitlines(), 1) if "beta: 1.5" in l)
    col = bad.read_text().splitlines()[line - 1].index("1.5") + 1
    assert f"bad.yaml:{line}:{col}" in proc.stderr and "beta" in proc.stderr
    # The plain exprun binary does not know them.
    assert "normalized_momentum" not in run_exprun("list", "optimizers", "--names").stdout.split()


def write_data(path, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((60, 4))
    y = a @ np.array([1.0, -2.0, 0.5, 3.0]) + rng.standard_t(2, 60)   # heavy-tailed noise
    np.savetxt(path, np.column_stack([a, y]), delimiter=",", fmt="%.17g")
    return a, y


def trajectory(binary, cwd, model, optimizer, steps):
    cfg = {
        "name": "check", "seeds": 1,
        "run": {"steps": steps, "batch_size": "full", "log": {"every": 1}, "metrics": ["train_loss"]},
        "datasets": {"d": {"kind": "csv", "path": "data.csv"}},
        "models": {"m": dict(model, dataset="d")},
        "optimizers": {"o": optimizer},
    }
    (cwd / "check.yaml").write_text(yaml.safe_dump(cfg))
    exe(binary, "check.yaml", "--quiet", "--fresh", "--out", cwd / "out", cwd=cwd)
    with h5py.File(cwd / "out" / "results.h5", "r") as f:
        (run,) = list(f["runs"])
        return f["runs"][run]["train_loss"][()]


def test_the_custom_optimizer_matches_a_numpy_normalized_momentum(package, tmp_path):
    _, binary = package
    a, y = write_data(tmp_path / "data.csv", 1)
    lr, beta, steps = 0.3, 0.7, 12
    got = trajectory(binary, tmp_path, {"kind": "least_squares", "l2": 0.0},
                     {"kind": "normalized_momentum", "lr": lr, "beta": beta}, steps)
    x, m, want = np.zeros(4), np.zeros(4), []
    for _ in range(steps + 1):
        r = a @ x - y
        want.append(0.5 * np.mean(r * r))
        g = a.T @ r / len(y)
        m = beta * m + (1 - beta) * g
        x = x - lr * m / np.linalg.norm(m)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_the_custom_model_matches_numpy_gradient_descent_on_pseudo_huber(package, tmp_path):
    _, binary = package
    a, y = write_data(tmp_path / "data.csv", 2)
    delta, l2, lr, steps = 0.8, 0.05, 0.2, 15
    got = trajectory(binary, tmp_path, {"kind": "pseudo_huber", "delta": delta, "l2": l2},
                     {"kind": "sgd", "lr": lr}, steps)
    x, want = np.zeros(4), []
    for _ in range(steps + 1):
        r = a @ x - y
        want.append(np.mean(delta**2 * (np.sqrt(1 + (r / delta) ** 2) - 1)) + 0.5 * l2 * x @ x)
        g = a.T @ (r / np.sqrt(1 + (r / delta) ** 2)) / len(y) + l2 * x
        x = x - lr * g
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
