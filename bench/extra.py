"""Extra `make bench` lines (bench/bench.py runs this file): the MLP training step of exprun
against the same step written plainly in numpy (bench/mlp_numpy.py), both on ONE BLAS thread
(OPENBLAS_NUM_THREADS=1; exprun runs --jobs 1). exprun is measured end to end through the
CLI: steps/s = (S - 1) / (wall_seconds of an S-step run - wall_seconds of a 1-step run), so
data generation and setup cancel. Medians of BENCH_REPEATS (default 3)."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import h5py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPRUN = os.path.join(ROOT, ".build", "release", "exprun")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
CONFIG = os.path.join(ROOT, "bench", "mlp.yaml")
STEPS = int(os.environ.get("BENCH_MLP_STEPS", "1000"))
ENV1 = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}


def run_seconds(steps):
    """wall_seconds of the single run of bench/mlp.yaml with `steps` steps."""
    out = tempfile.mkdtemp(prefix="exprun-bench-mlp-")
    try:
        subprocess.run([EXPRUN, CONFIG, "--out", out, "--quiet", "--fresh", "--jobs", "1",
                        "--set", f"run.steps={steps}"], check=True, cwd=ROOT, env=ENV1)
        with h5py.File(os.path.join(out, "results.h5")) as f:
            (run,) = f["runs"].values()
            assert run.attrs["status"] in ("completed", b"completed"), run.attrs["status"]
            return float(run.attrs["wall_seconds"])
    finally:
        shutil.rmtree(out, ignore_errors=True)


def exprun_rate():
    return (STEPS - 1) / (run_seconds(STEPS) - run_seconds(1))


def numpy_rate():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "mlp_numpy.py"), str(STEPS // 2)],
                         capture_output=True, text=True, check=True, env=ENV1).stdout
    return float(out)


def rows():
    """(name, value, note) rows in bench/bench.py's format; exprun and numpy alternate."""
    pairs = [(exprun_rate(), numpy_rate()) for _ in range(REPEATS)]
    ours = statistics.median(p[0] for p in pairs)
    theirs = statistics.median(p[1] for p in pairs)
    ratio = statistics.median(p[0] / p[1] for p in pairs)
    return [("MLP 784-256-256-10 step, batch 128, one BLAS thread, steps/s", f"{ours:,.0f}",
             f"numpy {theirs:,.0f} steps/s: {ratio:.2f}x numpy (target >= 1.5x)")]


def main():
    for name, value, note in rows():
        print(f"  {name}  {value}  {note}")


if __name__ == "__main__":
    main()
