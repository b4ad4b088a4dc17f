#!/usr/bin/env python3
"""Export scikit-learn's bundled data sets to CSV for exprun's `sklearn` dataset kind.

Usage: python3 scripts/export_sklearn_data.py [DATA_DIR]   (default: data)

Writes DATA_DIR/sklearn/{breast_cancer,digits,wine,diabetes}.csv: a header row, the feature
columns, then a last column "target". The data ship with scikit-learn (no network). Numbers
are written in Python's shortest round-trip form (repr), so they parse back exactly. Idempotent: files that
already exist are left alone.
"""
import os
import sys


def main() -> int:
    root = sys.argv[1] if len(sys.argv) > 1 else "data"
    folder = os.path.join(root, "sklearn")
    names = ["breast_cancer", "digits", "wine", "diabetes"]
    missing = [n for n in names if not os.path.exists(os.path.join(folder, n + ".csv"))]
    if not missing:
        print(f"{folder}: all {len(names)} data sets already exported")
        return 0
    from sklearn import datasets

    os.makedirs(folder, exist_ok=True)
    for name in missing:
        bunch = getattr(datasets, "load_" + name)()
        features, target = bunch.data, bunch.target
        columns = [str(c).replace(",", " ") for c in getattr(bunch, "feature_names", [])]
        if len(columns) != features.shape[1]:
            columns = [f"x{j}" for j in range(features.shape[1])]
        path = os.path.join(folder, name + ".csv")
        temporary = path + ".tmp"
        with open(temporary, "w") as out:
            out.write(",".join(columns + ["target"]) + "\n")
            for row, y in zip(features, target):
                out.write(",".join(repr(float(v)) for v in row) + "," + repr(float(y)) + "\n")
        os.replace(temporary, path)  # atomic: a crash never leaves a half-written file
        print(f"wrote {path} ({features.shape[0]} rows, {features.shape[1]} features)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
