"""`--where` selects grid cells in summary and plot, and rejects what does not exist."""
import csv
import io
import re

import pytest

from conftest import ROOT, run_exprun


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    out = tmp_path_factory.mktemp("where") / "small"
    run_exprun(ROOT / "tests" / "configs" / "small_sgd.yaml", "--out", out, "--quiet", "--set", "seeds=2")
    return out / "results.h5"


def rows(results, *args):
    text = run_exprun("summary", results, "--format", "csv", "--view", "last", *args).stdout
    return list(csv.DictReader(io.StringIO(text)))


def test_where_keeps_only_matching_cells(results):
    every = rows(results)
    assert len(every) == 8
    picked = rows(results, "--where", "model=ridge", "--where", "optimizer.lr=0.10")   # 0.10 == 0.1
    assert {r["model"] for r in picked} == {"ridge"}
    assert {float(r["optimizer.lr"]) for r in picked} == {0.1}
    assert len(picked) == 2                                            # two schedules
    assert len(rows(results, "--where", "optimizer.lr=0.01,0.1")) == 8
    # The statistics of a kept cell are those of the full table.
    full = {(r["model"], r["optimizer.schedule"], r["optimizer.lr"]): r["mean"] for r in every}
    for r in picked:
        assert full[(r["model"], r["optimizer.schedule"], r["optimizer.lr"])] == r["mean"]


def test_where_rejects_unknown_parameter_and_value(results):
    proc = run_exprun("summary", results, "--where", "modle=ridge", check=False)
    assert proc.returncode == 2 and "did you mean 'model'" in proc.stderr
    proc = run_exprun("summary", results, "--where", "model=ridgee", check=False)
    assert proc.returncode == 2 and "no cell has the value 'ridgee'" in proc.stderr
    proc = run_exprun("summary", results, "--where", "optimizer.lr=1", check=False)   # not in the grid
    assert proc.returncode == 2 and "values: 0.01, 0.1" in proc.stderr


def test_where_in_plot(results, tmp_path):
    def svg(*args):
        run_exprun("plot", results, *args, "--out", tmp_path, "--no-png", "--name", "p")
        return (tmp_path / "p.svg").read_text()
    every = svg()
    assert "model=ridge" in every and "model=logreg" in every      # one panel per model
    picked = svg("--where", "model=logreg")
    assert "model=ridge" not in picked
    assert len(re.findall(r">(isqrt|const) / [0-9.]+</text>", picked)) == 4   # its 4 cells


def test_where_in_report(results, tmp_path):
    def cells(*args):
        out = tmp_path / "r.html"
        run_exprun("report", results, *args, "--out", out)
        return int(re.search(r"(\d+) cells", out.read_text()).group(1))
    assert cells() == 8
    assert cells("--where", "model=logreg") == 4
