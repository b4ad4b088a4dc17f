"""Shared fixtures: the exprun binary, the repository root, a runner helper."""
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The tests read results with this checkout's Python package, whatever else is installed.
sys.path.insert(0, str(ROOT / "python" / "exprun"))
EXPRUN = str(ROOT / os.environ.get("EXPRUN", ".build/release/exprun"))  # relative to the repository


@pytest.fixture(scope="session")
def root():
    return ROOT


def run_exprun(*args, cwd=None, check=True, timeout=600, env=None):
    """Runs exprun and returns the CompletedProcess (text mode)."""
    full_env = dict(os.environ)
    full_env.setdefault("EXPRUN_DATA", str(ROOT / "data"))
    if env:
        full_env.update(env)
    proc = subprocess.run([EXPRUN, *map(str, args)], cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=timeout, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"exprun {' '.join(map(str, args))} exited {proc.returncode}\n"
                             f"stdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def diverged_results(tmp_path_factory):
    """small_sgd with a step size that diverges on one problem: 16 runs, the 4 ridge runs at lr 100 diverge."""
    out = tmp_path_factory.mktemp("diverged") / "res"
    run_exprun(ROOT / "tests" / "configs" / "small_sgd.yaml", "--out", out, "--quiet",
               "--set", "optimizer.lr=[0.1,100]", "--set", "seeds=2")
    return out / "results.h5"


@pytest.fixture(scope="session")
def exprun():
    return run_exprun
