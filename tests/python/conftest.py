"""Shared fixtures: the exprun binary, the repository root, a runner helper."""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Relative to the repository (make passes .build/release/exprun), so tests may run elsewhere.
EXPRUN = os.path.join(ROOT, os.environ.get("EXPRUN", str(ROOT / ".build" / "release" / "exprun")))


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
def exprun():
    return run_exprun
