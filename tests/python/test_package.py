"""The Python package (python/exprun) against h5py reads of the same file, and `exprun export`
against the package."""
import io
import json

import h5py
import numpy as np
import pandas as pd

import exprun
from conftest import ROOT, run_exprun


def _direct_curves(path):
    """Every (run, view, metric) series read one by one with plain h5py: the reference."""
    out = {}
    with h5py.File(path, "r") as f:
        for rid, g in f["runs"].items():
            step = g["step"][()]
            for name, obj in g.items():
                if isinstance(obj, h5py.Dataset) and name != "step":
                    out[(rid, "last", name)] = (step, obj[()])
                elif isinstance(obj, h5py.Group):
                    for m, ds in obj.items():
                        out[(rid, name, m)] = (step, ds[()])
    return out


def test_load_is_every_curve_with_every_parameter(diverged_results):
    df = exprun.load(diverged_results)
    ref = _direct_curves(diverged_results)
    assert len(df) == sum(len(s) for s, _ in ref.values())
    assert list(df.columns[-6:]) == ["seed", "status", "view", "metric", "step", "value"]
    assert {"run_id", "optimizer.lr", "optimizer.schedule", "model", "dataset.n", "run.steps", "f_star"} <= set(df.columns)
    # Every series comes back exactly, at its own steps.
    for (rid, view, metric), (step, values) in ref.items():
        part = df[(df.run_id == rid) & (df.view == view) & (df.metric == metric)]
        np.testing.assert_array_equal(part.step.to_numpy(), step)
        np.testing.assert_array_equal(part.value.to_numpy(), values.astype(float))
    # Parameters and status come from the run attributes and agree with the index.
    idx = exprun.index(diverged_results)
    per_run = df.drop_duplicates("run_id").set_index("run_id")
    for _, row in idx.iterrows():
        assert per_run.loc[row.run_id, "status"] == row.status
        assert per_run.loc[row.run_id, "seed"] == row.seed
        assert per_run.loc[row.run_id, "optimizer.lr"] == row["optimizer.lr"]
    diverged = idx[idx.status == "diverged"]
    assert len(diverged) == 4 and set(diverged.model) == {"ridge"}
    # A diverged run is shorter than a completed one.
    lengths = df[(df.view == "last") & (df.metric == "train_loss")].groupby("run_id", observed=True).size()
    assert lengths[diverged.run_id].max() < lengths.max()
    # Filters read only what is asked for.
    sub = exprun.load(diverged_results, metrics="suboptimality", views=["last", "avg"])
    assert set(sub.metric) == {"suboptimality"} and set(sub.view) == {"last", "avg"}


def test_to_xarray_pads_short_runs_with_nan(diverged_results):
    ds = exprun.to_xarray(diverged_results)
    ref = _direct_curves(diverged_results)
    idx = exprun.index(diverged_results)
    assert ds.sizes["run"] == 16 and list(ds.view.values)[0] == "last"
    all_steps = np.unique(np.concatenate([s for s, _ in ref.values()]))
    np.testing.assert_array_equal(ds.step.values, all_steps)
    for (rid, view, metric), (step, values) in ref.items():
        got = ds[metric].sel(run=rid, view=view)
        np.testing.assert_array_equal(got.sel(step=step).values, values.astype(float))
        assert np.isnan(got.values[~np.isin(all_steps, step)]).all()
    rid = idx[idx.status == "diverged"].run_id.iloc[0]
    assert np.isnan(ds["train_loss"].sel(run=rid, view="last").values[-1])
    assert list(ds.status.values) == list(idx.status)


def test_export_writes_the_same_table(diverged_results):
    df = exprun.load(diverged_results)
    csv = pd.read_csv(io.StringIO(run_exprun("export", diverged_results, "--format", "csv").stdout))
    assert list(csv.columns) == list(df.columns)
    assert len(csv) == len(df)
    np.testing.assert_array_equal(csv.step.to_numpy(), df.step.to_numpy())
    np.testing.assert_array_equal(csv.value.to_numpy(), df.value.to_numpy())  # shortest round-trip text
    for c in ["run_id", "metric", "view", "status", "model"]:
        assert list(csv[c]) == list(df[c].astype(str))
    np.testing.assert_array_equal(csv["optimizer.lr"].to_numpy(), df["optimizer.lr"].to_numpy())
    lines = run_exprun("export", diverged_results, "--format", "jsonl", "--metric", "train_loss", "--view", "avg").stdout.splitlines()
    rows = [json.loads(line) for line in lines]
    part = df[(df.metric == "train_loss") & (df.view == "avg")]
    assert len(rows) == len(part)
    assert [r["value"] for r in rows] == [None if np.isnan(v) else v for v in part.value]
    bad = run_exprun("export", diverged_results, "--format", "parquet", check=False)
    assert bad.returncode == 2 and "unknown format 'parquet'" in bad.stderr


def _without_tables(path, tmp_path):
    """A copy of the results file without /tables: the readers fall back to the run groups."""
    import shutil
    copy = tmp_path / "no_tables.h5"
    shutil.copy(path, copy)
    with h5py.File(copy, "r+") as f:
        del f["tables"]
    return copy


def _same_frames(path, tmp_path):
    with h5py.File(path, "r") as f:
        assert f["tables"].attrs["runs"] == len(f["index"]), "the merge writes /tables"
    slow = _without_tables(path, tmp_path)
    pd.testing.assert_frame_equal(exprun.load(path), exprun.load(slow), check_exact=True)
    for kwargs in ({"metrics": "train_loss"}, {"views": ["avg", "last"]}, {"metrics": ["lr"], "views": "last"}):
        pd.testing.assert_frame_equal(exprun.load(path, **kwargs), exprun.load(slow, **kwargs), check_exact=True)
    fast_x, slow_x = exprun.to_xarray(path), exprun.to_xarray(slow)
    assert fast_x.identical(slow_x)
    assert exprun.to_xarray(path, metrics="train_loss", views="avg").identical(
        exprun.to_xarray(slow, metrics="train_loss", views="avg"))


def test_tables_and_run_groups_give_identical_frames(diverged_results, tmp_path):
    # Diverged runs: shorter curves, and a diverged_step attribute only some runs have.
    _same_frames(diverged_results, tmp_path)


def test_identical_frames_with_list_parameters(tmp_path):
    # model.hidden is a list ([128] / [64, 64]) and run.metrics a list of names: JSON columns.
    out = tmp_path / "mlp"
    run_exprun(ROOT / "configs" / "mlp_smoke.yaml", "--out", out, "--quiet", "--jobs", "2",
               "--set", "run.steps=40", "--set", "seeds=1", "--set", "run.log={points: 4}")
    with h5py.File(out / "results.h5", "r") as f:
        assert "model.hidden" in list(f["tables"].attrs["json_columns"])
    _same_frames(out / "results.h5", tmp_path)
