"""The native HDF5 writer and reader (Sources/ExprunStore/Native) against libhdf5, the reference
(EXPRUN_HDF5_WRITER=libhdf5), as independent readers see the files: h5dump's text (data and
storage properties, addresses removed), h5py's groups, attributes (names, order, dtypes,
values) and datasets (dtype, shape, bits, chunking, filters, fill value), h5ls -r and h5stat.

For each config of a sweep of problem kinds (stochastic with diverged runs (NaN/inf), online,
black-box, federated, token walk, a 2-D Hessian density, a unicode description):
- shards: the same command with each writer: equal but for the clock (wall_seconds, rounds_per_second);
- results.h5 from the same shards, merged by each writer (and the native merge reading
  shards libhdf5 wrote, and libhdf5 reading native shards): equal but for created_utc;
- the incremental merge into a native results.h5 (natively: a rewrite equal to a full merge;
  through libhdf5: an edited copy), then h5py opening it read-write and adding to it;
- a shard h5py edited (a run marked failed) is merged the same by both.
"""
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

h5py = pytest.importorskip("h5py")

from conftest import ROOT, run_exprun

LIB = {"EXPRUN_HDF5_WRITER": "libhdf5"}
NATIVE = {"EXPRUN_HDF5_WRITER": "native"}
# Run attributes read from the clock: they differ between two runs of the same command.
CLOCK = ["wall_seconds", "rounds_per_second"]

CURVATURE = """
name: curv_native
description: "ünïcødé ✓ — a 2-D series, \\"quoted\\" and tab\\tseparated"
seeds: 2
run:
  steps: 20
  batch_size: 5
  log: {points: 3}
  metrics: [train_loss, sharpness, hessian_density]
  curvature: {probes: 20, lanczos_steps: 4, lanczos_probes: 2, bins: 7, batch_size: 30}
datasets:
  d: {kind: csv, path: DATA, target_column: 0}
models:
  ls: {kind: least_squares, dataset: d, l2: 0.1}
optimizers:
  sgd: {kind: sgd, lr: 0.05}
  big: {kind: sgd, lr: 1000.0}
sweep: {optimizer: [sgd, big]}
"""

CASES = {
    "stochastic_diverged": (ROOT / "tests" / "configs" / "small_sgd.yaml",
                            ["--set", "seeds=1", "--set", "run.steps=100", "--set", "optimizer.lr=[0.1,100]"]),
    "online": (ROOT / "configs" / "sea_omd.yaml", ["--set", "seeds=1", "--set", "run.steps=30"]),
    "black_box": (ROOT / "configs" / "cbo_rastrigin.yaml", ["--set", "seeds=1", "--set", "run.steps=20"]),
    "federated": (ROOT / "configs" / "fedfix.yaml", ["--set", "seeds=1", "--set", "run.horizon=5"]),
    "token_walk": (ROOT / "configs" / "srrw.yaml", ["--set", "seeds=1", "--set", "run.steps=50"]),
    "curvature_2d_unicode": (None, []),
}


def config_for(case, tmp_path):
    path, extra = CASES[case]
    if path is None:
        rng = np.random.default_rng(3)
        a = rng.normal(size=(30, 4))
        np.savetxt(tmp_path / "d.csv", np.column_stack([a @ np.ones(4), a]), delimiter=",", fmt="%.17g")
        path = tmp_path / "c.yaml"
        # An absolute data path: `exprun merge` resolves it from the output folder's config.yaml.
        path.write_text(CURVATURE.replace("DATA", str(tmp_path / "d.csv")))
    return path, extra


def h5dump(path, *options):
    """h5dump's text without the file name line and without addresses (OFFSET lines)."""
    out = subprocess.run(["h5dump", *options, str(path)], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()[1:]
    return "\n".join(line for line in lines if "OFFSET" not in line)


def normalized(text, names):
    """The dump with the values of the scalar attributes `names` blanked."""
    for name in names:
        text = re.sub(r'(ATTRIBUTE "%s" \{.*?DATA \{\n\s*\(0\): )[^\n]*' % re.escape(name), r"\1<varies>", text,
                      flags=re.S)
    return text


def same_dump(a, b, names=()):
    for options in ((), ("-p",)):
        da, db = normalized(h5dump(a, *options), names), normalized(h5dump(b, *options), names)
        assert da == db, f"h5dump {' '.join(options)} differs between {a} and {b}"


def describe(path, skip_attributes=()):
    """Everything h5py sees in a file, as comparable Python values."""
    seen = []

    def attrs(obj):
        out = []
        for name in obj.attrs:
            if name in skip_attributes:
                continue
            aid = obj.attrs.get_id(name)
            value = obj.attrs[name]
            out.append((name, str(aid.dtype), aid.shape, value_bits(value)))
        return out

    def visit(name, obj):
        if isinstance(obj, h5py.Group):
            seen.append(("group", name, list(obj.keys()), attrs(obj)))
        else:
            data = obj[()]
            seen.append(("dataset", name, str(obj.dtype), obj.shape, obj.chunks, obj.compression, obj.shuffle,
                         value_bits(obj.fillvalue), attrs(obj), value_bits(data)))

    with h5py.File(path, "r") as f:
        visit("/", f)
        f.visititems(visit)
    return seen


def value_bits(value):
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fiub" or value.dtype.names:
            return (str(value.dtype), value.shape, value.tobytes() if not value.dtype.hasobject
                    else [value_bits(v) for v in value.tolist()])
        return (str(value.dtype), value.shape, [value_bits(v) for v in value.tolist()])
    if isinstance(value, (tuple, list)):
        return [value_bits(v) for v in value]
    if isinstance(value, (float, np.floating)):
        return ("f", np.float64(value).tobytes())
    if isinstance(value, bytes):
        return ("b", value)
    return (type(value).__name__, value)


def same_content(a, b, skip_attributes=()):
    da, db = describe(a, skip_attributes), describe(b, skip_attributes)
    assert [x[:2] for x in da] == [x[:2] for x in db]
    for x, y in zip(da, db):
        assert x == y, f"{x[1]} differs"


def tools_accept(path):
    subprocess.run(["h5ls", "-r", str(path)], capture_output=True, check=True)
    subprocess.run(["h5stat", str(path)], capture_output=True, check=True)


def sweep(config, out, extra, env, tmp_path):
    run_exprun(config, "--out", out, "--quiet", "--jobs", "2", *extra, env=env, cwd=tmp_path)
    return sorted((out / "shards").glob("*.h5"))


def merge(out, env):
    os.unlink(out / "results.h5")
    manifest = out / "shards" / ".manifest"
    if manifest.exists():
        os.unlink(manifest)
    run_exprun("merge", out, env=env)
    return out / "results.h5"


def is_native(path):
    """Whether exprun's native writer wrote the file: libhdf5 stamps the root group with times."""
    with h5py.File(path, "r") as f:
        return h5py.h5o.get_info(f.id).mtime == 0


@pytest.mark.parametrize("case", sorted(CASES))
def test_native_files_equal_libhdf5_files(case, tmp_path):
    config, extra = config_for(case, tmp_path)
    lib, nat = tmp_path / "lib", tmp_path / "nat"
    lib_shards = sweep(config, lib, extra, LIB, tmp_path)
    nat_shards = sweep(config, nat, extra, NATIVE, tmp_path)
    assert [s.name for s in lib_shards] == [s.name for s in nat_shards] and lib_shards
    assert is_native(nat_shards[0]) and not is_native(lib_shards[0])
    for a, b in zip(lib_shards, nat_shards):
        same_dump(a, b, names=CLOCK)
        same_content(a, b, skip_attributes=CLOCK)
    for path in (nat / "results.h5", nat_shards[0]):
        tools_accept(path)

    # The same shards merged by each writer, each reading the other's shards too.
    reference = tmp_path / "lib_merged.h5"
    shutil.copy(merge(nat, LIB), reference)
    native = merge(nat, NATIVE)
    assert is_native(native) and not is_native(reference)
    same_dump(reference, native, names=["created_utc"])
    same_content(reference, native, skip_attributes=["created_utc"])
    native_of_lib = merge(lib, NATIVE)
    shutil.copy(native_of_lib, tmp_path / "native_of_lib.h5")
    same_dump(merge(lib, LIB), tmp_path / "native_of_lib.h5", names=["created_utc"])


def run_ids(path):
    with h5py.File(path, "r") as f:
        return [x.decode() if isinstance(x, bytes) else x for x in f["index"]["run_id"]]


def test_incremental_merge_and_edits_on_a_native_file(tmp_path):
    config, extra = config_for("stochastic_diverged", tmp_path)
    out = tmp_path / "nat"
    shards = sweep(config, out, extra, NATIVE, tmp_path)
    results = out / "results.h5"
    assert is_native(results)
    ids = run_ids(results)
    # One shard gone: re-run natively; the incremental merge rewrites the file natively, the
    # kept runs read from it: the same file as a full merge of the same shards by libhdf5.
    os.unlink(shards[len(shards) // 2])
    run_exprun(config, "--out", out, "--quiet", *extra, env=NATIVE, cwd=tmp_path)
    assert is_native(results) and run_ids(results) == ids
    incremental = tmp_path / "incremental.h5"
    shutil.copy(results, incremental)
    # The reference: the same command, its merge a full one through libhdf5 (same provenance).
    os.unlink(results)
    os.unlink(out / "shards" / ".manifest")
    run_exprun(config, "--out", out, "--quiet", *extra, env=LIB, cwd=tmp_path)
    reference = tmp_path / "ref.h5"
    shutil.copy(results, reference)
    assert not is_native(reference)
    same_dump(reference, incremental, names=["created_utc"])
    same_content(reference, incremental, skip_attributes=["created_utc"])
    # libhdf5's own incremental merge edits a copy of a native file.
    shutil.copy(merge(out, NATIVE), tmp_path / "before.h5")
    os.unlink(shards[0])
    run_exprun(config, "--out", out, "--quiet", *extra, env=LIB, cwd=tmp_path)
    tools_accept(results)
    assert run_ids(results) == ids
    with h5py.File(results, "r") as f:
        assert sorted(f["runs"]) == sorted(ids)
    # libhdf5 (through h5py) opens a native file read-write and adds to it.
    native = merge(out, NATIVE)
    with h5py.File(native, "r+") as f:
        f.attrs["note"] = "added by h5py"
        f["runs"][ids[0]].attrs["label"] = "ü"
        f["runs"][ids[0]].create_dataset("extra", data=np.arange(3.0))
    with h5py.File(native, "r") as f:
        assert f.attrs["note"] == "added by h5py" and f["runs"][ids[0]].attrs["label"] == "ü"
        assert list(f["runs"][ids[0]]["extra"][()]) == [0.0, 1.0, 2.0]
    tools_accept(native)


def test_a_shard_edited_by_h5py_merges_the_same(tmp_path):
    """h5py rewrites an attribute of a native shard (a run marked failed): the native reader
    reads what libhdf5 left, or falls back to libhdf5; both merges agree."""
    config, extra = config_for("stochastic_diverged", tmp_path)
    out = tmp_path / "nat"
    shards = sweep(config, out, extra, NATIVE, tmp_path)
    with h5py.File(shards[0], "r+") as f:
        (rid,) = list(f["runs"])
        f["runs"][rid].attrs["status"] = "failed"
        f["runs"][rid].attrs["note"] = np.array([1.5, np.nan, -np.inf])
    reference = tmp_path / "ref.h5"
    shutil.copy(merge(out, LIB), reference)
    native = merge(out, NATIVE)
    same_content(reference, native, skip_attributes=["created_utc"])
    with h5py.File(native, "r") as f:
        assert f["runs"][rid].attrs["status"] == "failed"
        assert dict(zip(*[[x.decode() if isinstance(x, bytes) else x for x in f["index"][c]]
                          for c in ("run_id", "status")]))[rid] == "failed"
