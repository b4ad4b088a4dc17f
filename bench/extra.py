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


def main():
    ours = statistics.median(exprun_rate() for _ in range(REPEATS))
    theirs = statistics.median(numpy_rate() for _ in range(REPEATS))
    name = "MLP 784-256-256-10 step, batch 128 (exprun / numpy, 1 BLAS thread)"
    print(f"  {name}  {ours:,.0f} steps/s  vs  {theirs:,.0f} steps/s numpy  = {ours / theirs:.2f}x (target >= 1.5x)")


if __name__ == "__main__":
    main()
