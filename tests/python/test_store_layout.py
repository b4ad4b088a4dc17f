"""Checks that a results.h5 written by exprun follows the HDF5 layout contract (DESIGN.md).

Run: EXPRUN_RESULTS=runs/<experiment>/results.h5 python3 -m pytest tests/python/test_store_layout.py
Without EXPRUN_RESULTS it checks a file the real CLI writes for tests/configs/small_sgd.yaml.
Uses only h5py, numpy and pandas, the way users will.
"""
import datetime
import os

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")
pd = pytest.importorskip("pandas")

RESULTS = os.environ.get("EXPRUN_RESULTS")

STATUSES = {"completed", "diverged", "failed", "timeout"}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    path = RESULTS
    if not path:
        from conftest import ROOT, run_exprun
        out = tmp_path_factory.mktemp("layout") / "small"
        run_exprun(ROOT / "tests" / "configs" / "small_sgd.yaml", "--out", out, "--quiet", "--set", "seeds=2")
        path = out / "results.h5"
    with h5py.File(path, "r") as f:
        yield f


def decoded(value):
    return value.decode("utf-8") if isinstance(value, bytes) else value


@pytest.fixture(scope="module")
def index(results):
    # The two lines a user writes: a structured array -> DataFrame (vlen strings come as bytes).
    frame = pd.DataFrame(results["index"][()])
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(decoded)
    return frame


def is_python_attribute(value):
    """An attribute h5py hands back as a plain scalar of the expected kind, or a 1-D array."""
    if isinstance(value, (str, bool, np.bool_, int, float, np.integer, np.floating)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 1


def test_root_attributes(results):
    attrs = results.attrs
    for key in ["format", "exprun_version", "experiment", "config", "created_utc", "swept"]:
        assert key in attrs, key
    assert attrs["format"] == "exprun-results/1"
    for key in ["format", "exprun_version", "experiment", "config", "created_utc"]:
        assert isinstance(attrs[key], str), key
    datetime.datetime.fromisoformat(attrs["created_utc"].replace("Z", "+00:00"))
    swept = attrs["swept"]
    assert isinstance(swept, np.ndarray) and swept.ndim == 1
    assert all(isinstance(path, str) for path in swept)
    for key, value in attrs.items():
        assert is_python_attribute(value), (key, type(value))


def test_index_is_a_dataframe(results, index):
    assert list(index.columns[:3]) == ["run_id", "status", "seed"]
    for path in results.attrs["swept"]:
        assert path in index.columns, path
    assert index["run_id"].is_unique
    assert set(index["run_id"]) == set(results["runs"].keys())
    assert set(index["status"]) <= STATUSES
    assert np.issubdtype(index["seed"].dtype, np.integer)


def test_runs_have_step_and_equal_length_metrics(results, index):
    for run_id, status in zip(index["run_id"], index["status"]):
        run = results["runs"][run_id]
        step = run["step"]
        assert step.dtype == np.int64 and step.ndim == 1
        n = step.shape[0]
        steps = step[()]
        assert np.all(np.diff(steps) > 0), run_id
        metrics = [name for name, obj in run.items() if isinstance(obj, h5py.Dataset) and name != "step"]
        assert metrics, run_id
        for name, obj in run.items():
            if isinstance(obj, h5py.Dataset):
                assert obj.ndim == 1 and obj.shape[0] == n, (run_id, name)
                if name != "step":
                    assert obj.dtype == np.float64, (run_id, name)
            else:  # an iterate view: the same metrics at another iterate
                for metric, series in obj.items():
                    assert isinstance(series, h5py.Dataset), (run_id, name, metric)
                    assert series.dtype == np.float64 and series.shape == (n,), (run_id, name, metric)
        assert run.attrs["status"] == status


def test_run_attributes_are_python_types(results, index):
    columns = [c for c in index.columns if c not in ("run_id", "status")]
    for row in index.itertuples(index=False):
        row = dict(zip(index.columns, row))
        attrs = results["runs"][row["run_id"]].attrs
        assert isinstance(attrs["status"], str)
        assert isinstance(attrs["message"], str)
        assert isinstance(attrs["wall_seconds"], (float, np.floating)) and attrs["wall_seconds"] >= 0
        if attrs["status"] == "diverged":
            assert isinstance(attrs["diverged_step"], (int, np.integer))
        for key, value in attrs.items():
            assert is_python_attribute(value), (row["run_id"], key, type(value))
        for column in columns:
            expected = row[column]
            if column not in attrs:
                assert expected == "" or expected == 0 or (isinstance(expected, float) and np.isnan(expected))
                continue
            value = attrs[column]
            if isinstance(expected, str):
                if isinstance(value, str):  # bools and lists are indexed by their canonical text
                    assert value == expected, (column, expected, value)
            else:
                assert float(value) == float(expected), (column, expected, value)
