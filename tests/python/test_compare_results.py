"""scripts/compare_results.py, the bit-identity check of issue 9: two runs of one config
compare equal (timing and provenance left out), and any change to a value, an attribute or
the set of runs is reported with exit code 1."""
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import ROOT, run_exprun

SCRIPT = ROOT / "scripts" / "compare_results.py"
CONFIG = ROOT / "tests" / "configs" / "small_sgd.yaml"


def compare(a, b):
    return subprocess.run([sys.executable, str(SCRIPT), str(a), str(b)], capture_output=True, text=True)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """The same config run twice, with different --jobs (results must not depend on it)."""
    base = tmp_path_factory.mktemp("compare")
    run_exprun(CONFIG, "--out", base / "a", "--jobs", "1", "--quiet")
    run_exprun(CONFIG, "--out", base / "b", "--jobs", "2", "--quiet")
    return base / "a" / "results.h5", base / "b" / "results.h5"


def test_two_runs_of_one_config_are_equal(two_runs):
    a, b = two_runs
    with h5py.File(a) as fa, h5py.File(b) as fb:
        # Timing attributes are there (and differ between the runs): the script leaves them out.
        assert "wall_seconds" in first_run(fa).attrs and "wall_seconds" in first_run(fb).attrs
    proc = compare(a, b)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "equal" in proc.stdout


def perturbed(src, tmp_path, change):
    dst = tmp_path / "changed.h5"
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        change(f)
    return dst


def first_run(f):
    return f["runs"][sorted(f["runs"])[0]]


def test_one_ulp_in_a_series_is_a_difference(two_runs, tmp_path):
    def change(f):
        d = first_run(f)["train_loss"]
        v = d[()]
        v[-1] = np.nextafter(v[-1], np.inf)
        d[...] = v
    proc = compare(two_runs[0], perturbed(two_runs[1], tmp_path, change))
    assert proc.returncode == 1
    assert "train_loss: values differ" in proc.stdout


def test_attribute_change_and_missing_run_are_differences(two_runs, tmp_path):
    def change(f):
        first_run(f).attrs["optimizer.lr"] = 123.0
        del f["runs"][sorted(f["runs"])[-1]]
    proc = compare(two_runs[0], perturbed(two_runs[1], tmp_path, change))
    assert proc.returncode == 1
    assert "attribute optimizer.lr differs" in proc.stdout
    assert "only in A" in proc.stdout


def test_timing_attributes_are_left_out(two_runs, tmp_path):
    def change(f):
        first_run(f).attrs["wall_seconds"] = 1.0e9
        f.attrs["created_utc"] = "1970-01-01T00:00:00Z"
        f.attrs["host"] = "elsewhere"
    proc = compare(two_runs[0], perturbed(two_runs[1], tmp_path, change))
    assert proc.returncode == 0, proc.stdout


def test_index_table_change_is_a_difference(two_runs, tmp_path):
    def change(f):
        table = f["index"][()]
        table["status"][0] = b"failed" if table["status"][0] != b"failed" else b"completed"
        f["index"][...] = table
    proc = compare(two_runs[0], perturbed(two_runs[1], tmp_path, change))
    assert proc.returncode == 1
    assert "/index" in proc.stdout
