#!/usr/bin/env python3
"""Compare two exprun results files bit for bit, except for timing and provenance.

    python3 scripts/compare_results.py A.h5 B.h5 [--quiet]

Every group, dataset and attribute of A must exist in B with the same dtype, shape and
bytes (NaN equals NaN only at the same position, with the same bit pattern), and B must
have nothing A lacks. Left out, because they change from one run of the same config to
the next: wall-clock quantities (the `wall_seconds` and `rounds_per_second` attributes,
the `wall_time` series) and where/when a sweep ran (`created_utc`, `host`, `cpu_model`,
`cpu_cores`, `hdf5_version`, `blas`, `os`, `git_commit`, `exprun_version`). Also left out:
/tables, the consolidated copy of /runs a merge writes for fast reading (derived from /runs,
which is compared; the tests check that the two agree), so files with and without it compare.

Exit 0 when equal, 1 on any difference (each printed, up to 50), 2 on bad arguments.
"""
import sys

import h5py
import numpy as np

# Attributes whose value is a clock reading or describes the machine or the checkout.
TIMING_ATTRIBUTES = {"wall_seconds", "rounds_per_second", "created_utc"}
PROVENANCE_ATTRIBUTES = {"host", "cpu_model", "cpu_cores", "hdf5_version", "blas", "os", "git_commit",
                         "exprun_version"}
# Datasets (by their last path component) that hold clock readings.
TIMING_DATASETS = {"wall_time"}
MAX_REPORTED = 50
# Root members derived from the others (see the docstring).
DERIVED_ROOT_MEMBERS = {"tables"}


def ignored_attribute(name):
    return name in TIMING_ATTRIBUTES or name in PROVENANCE_ATTRIBUTES


def has_references(dtype):
    """Whether values hold Python objects (variable-length strings), directly or in a field."""
    if dtype.names:
        return any(has_references(dtype.fields[n][0]) for n in dtype.names)
    return dtype.kind == "O"


def same_bytes(a, b):
    """Equal dtype, shape and bytes (so -0.0 != 0.0 and NaN payloads count). A table (compound
    dtype, the /index) is compared field by field; strings by value."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.names:
        return all(same_bytes(a[n], b[n]) for n in a.dtype.names)
    if a.dtype.kind == "O":
        return a.tolist() == b.tolist()
    return a.tobytes() == b.tobytes()


def describe(v):
    text = repr(v.tolist() if isinstance(v, np.ndarray) else v)
    return text if len(text) <= 120 else text[:117] + "..."


def compare_attributes(path, a, b, out):
    keys_a = {k for k in a.attrs.keys() if not ignored_attribute(k)}
    keys_b = {k for k in b.attrs.keys() if not ignored_attribute(k)}
    for k in sorted(keys_a - keys_b):
        out.append(f"{path}: attribute {k} only in A")
    for k in sorted(keys_b - keys_a):
        out.append(f"{path}: attribute {k} only in B")
    for k in sorted(keys_a & keys_b):
        va, vb = a.attrs[k], b.attrs[k]
        if not same_bytes(va, vb):
            out.append(f"{path}: attribute {k} differs: A={describe(va)} B={describe(vb)}")


def first_difference(a, b):
    """Index and values of the first differing element of two same-shape arrays."""
    if has_references(a.dtype):
        for i, (x, y) in enumerate(zip(a.ravel().tolist(), b.ravel().tolist())):
            if x != y:
                return i, x, y
        return None
    ra, rb = a.ravel().view(np.uint8).reshape(a.size, -1), b.ravel().view(np.uint8).reshape(b.size, -1)
    rows = np.nonzero((ra != rb).any(axis=1))[0]
    if rows.size == 0:
        return None
    i = int(rows[0])
    return i, a.ravel()[i], b.ravel()[i]


def compare_nodes(path, a, b, out):
    compare_attributes(path or "/", a, b, out)
    if isinstance(a, h5py.Dataset) != isinstance(b, h5py.Dataset):
        out.append(f"{path}: a dataset in one file, a group in the other")
        return
    if isinstance(a, h5py.Dataset):
        if path.rsplit("/", 1)[-1] in TIMING_DATASETS:
            return
        va, vb = a[()], b[()]
        if a.dtype != b.dtype or a.shape != b.shape:
            out.append(f"{path}: dtype/shape differ: A={a.dtype}{a.shape} B={b.dtype}{b.shape}")
        elif not same_bytes(va, vb):
            d = first_difference(np.asarray(va), np.asarray(vb))
            where = f" (first at element {d[0]}: A={describe(d[1])} B={describe(d[2])})" if d else ""
            out.append(f"{path}: values differ{where}")
        return
    names_a, names_b = set(a.keys()), set(b.keys())
    if not path:
        names_a, names_b = names_a - DERIVED_ROOT_MEMBERS, names_b - DERIVED_ROOT_MEMBERS
    for k in sorted(names_a - names_b):
        out.append(f"{path}/{k}: only in A")
    for k in sorted(names_b - names_a):
        out.append(f"{path}/{k}: only in B")
    for k in sorted(names_a & names_b):
        compare_nodes(f"{path}/{k}", a[k], b[k], out)


def compare_files(file_a, file_b):
    """The list of differences between two results files (empty when equal)."""
    out = []
    with h5py.File(file_a, "r") as a, h5py.File(file_b, "r") as b:
        compare_nodes("", a, b, out)
    return out


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    quiet = "--quiet" in argv
    if len(args) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    differences = compare_files(args[0], args[1])
    for line in differences[:MAX_REPORTED]:
        print(line)
    if len(differences) > MAX_REPORTED:
        print(f"... and {len(differences) - MAX_REPORTED} more differences")
    if not quiet:
        print(f"{args[0]} vs {args[1]}: " + ("equal" if not differences else f"{len(differences)} differences"))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
