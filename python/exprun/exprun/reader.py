"""Readers of an exprun results.h5 (layout: DESIGN.md, "The HDF5 layout").

The file holds one group per run (/runs/<run_id>) with a `step` array, one array per metric
for the last iterate and one subgroup per other iterate view. A file merged by a recent exprun
also holds /tables: the same attributes and curves gathered into a few arrays (README, "The
results file"). The readers use /tables when it is there and matches /index (a handful of
reads, whatever the number of runs), and otherwise read every run group (one h5py read per
array, never per value); both give the same result. Columns are built with numpy.
"""
from __future__ import annotations

import json

import h5py
import numpy as np
import pandas as pd

LAST = "last"  # the view name of the series stored at the root of a run group


def _decode_column(values: np.ndarray) -> np.ndarray:
    """Bytes (fixed or variable length) to str, vectorised; other columns unchanged."""
    if values.dtype.kind == "S":
        return np.char.decode(values, "utf-8").astype(object)
    if values.dtype.kind == "O" and len(values) and isinstance(values[0], bytes):
        return np.char.decode(values.astype("S"), "utf-8").astype(object)
    return values


def _attribute_value(v):
    """An HDF5 attribute as a plain Python/numpy scalar (str for text, list for arrays)."""
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        if v.shape == ():
            return _attribute_value(v[()])
        return [_attribute_value(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _index_frame(f: h5py.File) -> pd.DataFrame:
    if "index" in f:
        table = f["index"][()]
        return pd.DataFrame({name: _decode_column(table[name]) for name in table.dtype.names})
    # A shard (or a file without /index): one row per run group, status from its attributes.
    ids = list(f["runs"].keys())
    return pd.DataFrame({"run_id": ids,
                         "status": [_attribute_value(f["runs"][r].attrs.get("status", "")) for r in ids]})


def index(path) -> pd.DataFrame:
    """The /index table: one row per run (run_id, status, seed, one column per swept parameter)."""
    with h5py.File(path, "r") as f:
        return _index_frame(f)


def _cell_keys(frame: pd.DataFrame) -> list:
    """A key per run naming its grid cell: every /index column but run_id, status and seed."""
    cols = [c for c in frame.columns if c not in ("run_id", "status", "seed")]
    if not cols:
        return [()] * len(frame)
    return list(frame[cols].itertuples(index=False, name=None))


def _parameters(f: h5py.File, frame: pd.DataFrame) -> pd.DataFrame:
    """One row per run: every run attribute (resolved parameters by dotted path, seed, status,
    message, wall_seconds, diverged_step, results such as f_star), in the order first written.

    Runs of one grid cell differ only by their seed, so the resolved parameters (the attributes
    written before `seed`) are read once per cell; per run only `seed` and what follows it
    (results, status, message, timings) are read. Attribute reads dominate the cost otherwise.
    """
    runs = f["runs"]
    run_ids = list(frame["run_id"])
    columns: dict[str, list] = {}
    n = len(run_ids)
    shared: dict = {}
    for i, (rid, cell) in enumerate(zip(run_ids, _cell_keys(frame))):
        attrs = runs[rid].attrs
        known = shared.get(cell)
        if known is None:
            items = [(name, _attribute_value(v)) for name, v in attrs.items()]
            names = [name for name, _ in items]
            if "seed" in names:
                shared[cell] = items[:names.index("seed")]
        else:
            parameter_names = {name for name, _ in known}
            items = known + [(name, _attribute_value(attrs[name])) for name in attrs if name not in parameter_names]
        for name, v in items:
            col = columns.get(name)
            if col is None:
                col = columns[name] = [None] * n
            col[i] = v
    out = pd.DataFrame({"run_id": pd.Series(run_ids, dtype=object)})
    for name, values in columns.items():
        out[name] = _compact(values)
    return out


TABLES_FORMAT = "exprun-tables/1"


def _tables(f: h5py.File, frame: pd.DataFrame):
    """The /tables group when it is complete and matches /index row for row, else None."""
    t = f.get("tables")
    if not isinstance(t, h5py.Group) or _attribute_value(t.attrs.get("format", "")) != TABLES_FORMAT:
        return None
    if not all(k in t for k in ("attributes", "curves", "curve_step", "curve_value")):
        return None
    if int(t.attrs.get("runs", -1)) != len(frame):
        return None
    return t


def _parameters_from_tables(t, frame: pd.DataFrame):
    """`_parameters` from /tables/attributes (one read); None when it does not match /index."""
    table = t["attributes"][()]
    names = table.dtype.names or ()
    if not names or names[0] != "run_id" or list(_decode_column(table["run_id"])) != list(frame["run_id"]):
        return None
    as_json = set(_attribute_value(t.attrs.get("json_columns", np.array([], dtype=object))) or [])
    present = t["attributes_present"][()] if "attributes_present" in t else None
    out = pd.DataFrame({"run_id": pd.Series(list(frame["run_id"]), dtype=object)})
    for name in names[1:]:
        column = _decode_column(table[name])
        if name in as_json:
            values = [json.loads(x) if x else None for x in column.tolist()]
        else:
            values = column.tolist()
        if present is not None and name in (present.dtype.names or ()):
            values = [v if has else None for v, has in zip(values, present[name].tolist())]
        out[name] = _compact(values)
    return out


def _compact(values: list) -> pd.Series:
    """A parameter column: numbers as numbers, text as a categorical (cheap to repeat)."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, (bool, np.bool_)) for v in present):
        return pd.Series(values, dtype=object if len(present) < len(values) else bool)
    if present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        if all(isinstance(v, int) for v in present) and len(present) == len(values):
            return pd.Series(values, dtype=np.int64)
        return pd.Series([np.nan if v is None else float(v) for v in values], dtype=np.float64)
    return pd.Series([v if not isinstance(v, list) else ",".join(map(str, v)) for v in values], dtype="category")


def _read(group, name: str) -> np.ndarray:
    """One whole dataset through the low-level API (half the cost of `group[name][()]`)."""
    d = h5py.h5d.open(group.id, name.encode())
    out = np.empty(d.shape, d.dtype)
    d.read(h5py.h5s.ALL, h5py.h5s.ALL, out)
    return out


def _series(f: h5py.File, run_ids, metrics=None, views=None):
    """Every (run, view, metric) array: a list of (run position, view, metric, steps, values)."""
    runs = f["runs"]
    wanted_metrics = None if metrics is None else set([metrics] if isinstance(metrics, str) else metrics)
    wanted_views = None if views is None else set([views] if isinstance(views, str) else views)
    layouts: dict = {}  # the member names of a run group -> which of them are view subgroups
    blocks = []
    for i, rid in enumerate(run_ids):
        g = runs[rid]
        members = tuple(g)
        if "step" not in members:
            continue
        subgroups = layouts.get(members)
        if subgroups is None:
            subgroups = layouts[members] = {m for m in members if g.get(m, getclass=True) is h5py.Group}
        steps = _read(g, "step")
        groups = [(LAST, g, [m for m in members if m not in subgroups and m != "step"])]
        groups += [(v, g[v], None) for v in members if v in subgroups and (wanted_views is None or v in wanted_views)]
        for view, group, names in groups:
            if wanted_views is not None and view not in wanted_views:
                continue
            for metric in (names if names is not None else list(group)):
                if wanted_metrics is not None and metric not in wanted_metrics:
                    continue
                values = _read(group, metric)
                if values.ndim != 1:
                    continue  # a histogram per log point (see `histograms`), not a curve
                k = min(len(values), len(steps))
                blocks.append((i, view, metric, steps[:k], values[:k]))
    return blocks


def _codes(names):
    """Category codes of `names` in first-seen order."""
    categories = list(dict.fromkeys(names))
    lookup = {c: j for j, c in enumerate(categories)}
    return np.fromiter((lookup[x] for x in names), dtype=np.int32, count=len(names)), categories


def _curves(f: h5py.File, frame: pd.DataFrame, metrics=None, views=None):
    """Every (run, view, metric) curve, as arrays: per curve its run position, view and metric;
    per point (curves concatenated in that order) its step and value. From /tables when it is
    there, else from the run groups."""
    t = _tables(f, frame)
    if t is not None:
        return _curves_from_tables(t, metrics, views)
    blocks = _series(f, list(frame["run_id"]), metrics, views)
    run = np.fromiter((b[0] for b in blocks), dtype=np.int64, count=len(blocks))
    lengths = np.fromiter((len(b[3]) for b in blocks), dtype=np.int64, count=len(blocks))
    step = np.concatenate([b[3] for b in blocks]).astype(np.int64) if blocks else np.zeros(0, np.int64)
    value = np.concatenate([np.asarray(b[4], dtype=np.float64) for b in blocks]) if blocks else np.zeros(0)
    return run, [b[1] for b in blocks], [b[2] for b in blocks], lengths, step, value


def _curves_from_tables(t, metrics=None, views=None):
    c = t["curves"][()]
    run = c["run"].astype(np.int64)
    view = _decode_column(c["view"])
    metric = _decode_column(c["metric"])
    start = c["start"].astype(np.int64)
    lengths = c["length"].astype(np.int64)
    step_all = t["curve_step"][()].astype(np.int64)
    value_all = t["curve_value"][()].astype(np.float64)
    keep = np.ones(len(run), dtype=bool)
    if metrics is not None:
        keep &= np.isin(metric, [metrics] if isinstance(metrics, str) else list(metrics))
    if views is not None:
        keep &= np.isin(view, [views] if isinstance(views, str) else list(views))
    run, view, metric, start, lengths = run[keep], view[keep], metric[keep], start[keep], lengths[keep]
    total = int(lengths.sum())
    if total == len(step_all) and np.array_equal(start, np.cumsum(lengths) - lengths):
        step, value = step_all, value_all
    else:
        at = np.arange(total) + np.repeat(start - (np.cumsum(lengths) - lengths), lengths)
        step, value = step_all[at], value_all[at]
    return run, view.tolist(), metric.tolist(), lengths, step, value


def load(path, metrics=None, views=None) -> pd.DataFrame:
    """The tidy (long) table of every curve: one row per run, view, metric and log point.

    Columns: run_id, every run attribute (resolved parameters by dotted path, seed, status,
    message, wall_seconds, ...), then view (last, avg, suffix_avg, ema), metric, step, value.
    Text columns are categoricals. `metrics` / `views` (a name or a list) restrict what is read.
    Diverged runs contribute their curve up to the step where they diverged.
    """
    with h5py.File(path, "r") as f:
        frame = _index_frame(f)
        t = _tables(f, frame)
        params = _parameters_from_tables(t, frame) if t is not None else None
        if params is None:
            params = _parameters(f, frame)
        run, view_list, metric_list, lengths, step, value = _curves(f, frame, metrics, views)
    run_pos = np.repeat(run, lengths)
    view_codes, view_names = _codes(view_list)
    metric_codes, metric_names = _codes(metric_list)
    out = {}
    order = ["run_id"] + [c for c in params.columns if c not in ("run_id", "seed", "status")]
    order += [c for c in ("seed", "status") if c in params.columns]
    for name in order:
        col = params[name]
        if name == "run_id":
            col = col.astype("category")
        if isinstance(col.dtype, pd.CategoricalDtype):
            out[name] = pd.Categorical.from_codes(col.cat.codes.to_numpy()[run_pos], col.cat.categories)
        else:
            out[name] = col.to_numpy()[run_pos]
    out["view"] = pd.Categorical.from_codes(np.repeat(view_codes, lengths), view_names)
    out["metric"] = pd.Categorical.from_codes(np.repeat(metric_codes, lengths), metric_names)
    out["step"] = step
    out["value"] = value
    return pd.DataFrame(out, copy=False)


def histograms(path, metric="hessian_density") -> dict:
    """The per-log-point histograms of a 2-D series, by run id: {run_id: (step, masses, edges)}
    with masses [log points, bins] and edges [log points, bins + 1] (`<metric>_edges`).
    Runs without the series are left out."""
    out = {}
    with h5py.File(path, "r") as f:
        for rid in f["runs"]:
            g = f["runs"][rid]
            if metric in g and metric + "_edges" in g and "step" in g:
                out[rid] = (g["step"][()], g[metric][()], g[metric + "_edges"][()])
    return out


def to_xarray(path, metrics=None, views=None):
    """An xarray Dataset: one variable per metric with dimensions (run, view, step).

    `step` is the union of every run's log points; a run that stopped early or diverged (or
    that logged at other steps) is NaN where it has no value. The index columns (status, seed,
    swept parameters) are coordinates along `run`.
    """
    import xarray as xr

    with h5py.File(path, "r") as f:
        frame = _index_frame(f)
        run_ids = list(frame["run_id"])
        run, view_list, metric_list, lengths, step, value = _curves(f, frame, metrics, views)
    steps = np.unique(step)
    view_codes, view_names = _codes(view_list)
    metric_codes, metric_names = _codes(metric_list)
    point_run = np.repeat(run, lengths)
    point_view = np.repeat(view_codes, lengths)
    point_metric = np.repeat(metric_codes, lengths)
    point_step = np.searchsorted(steps, step)
    data = {}
    for j, m in enumerate(metric_names):
        a = np.full((len(run_ids), len(view_names), len(steps)), np.nan)
        sel = point_metric == j
        a[point_run[sel], point_view[sel], point_step[sel]] = value[sel]
        data[m] = a
    coords = {"run": run_ids, "view": view_names, "step": steps}
    for name in frame.columns:
        if name != "run_id":
            coords[name] = ("run", frame[name].to_numpy())
    return xr.Dataset({m: (("run", "view", "step"), a) for m, a in data.items()}, coords=coords)
