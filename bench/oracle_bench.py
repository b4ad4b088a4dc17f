"""`make bench` row of the external oracle (bench/bench.py imports `rows()`): the round trip of
one oracle call for d = 1000 through exprun's `external` model, with the release binary.

bench/oracle_child.py stamps the arrival of every request: the time between two arrivals is
one whole round trip (the child's answer written, read and checked by exprun, exprun's SGD
step and minibatch draw, the next request written and read by the child) plus the child's own
numpy work, which is stamped too and reported apart. Median over all calls of REPEATS runs of
CALLS steps each (minibatches of 32 indices), the first 100 calls of each run left out (start-up)."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPRUN = os.environ.get("EXPRUN", os.path.join(ROOT, ".build", "release", "exprun"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
CALLS = int(os.environ.get("BENCH_ORACLE_CALLS", "10000"))
CHILD = os.path.join(ROOT, "bench", "oracle_child.py")

CONFIG = """
name: oracle_bench
seeds: 1
run: {{steps: {steps}, batch_size: 32, log: {{every: {steps}}}, metrics: [train_loss]}}
models:
  ext: {{kind: external, command: [{python}, {child}, {stamps}]}}
optimizers:
  sgd: {{kind: sgd, lr: 0.01}}
"""


def one_run():
    """(round trips, child compute times, exprun's mean seconds per step) of one run, in seconds."""
    tmp = tempfile.mkdtemp(prefix="exprun-bench-oracle-")
    try:
        stamps = os.path.join(tmp, "stamps.npy")
        config = os.path.join(tmp, "oracle.yaml")
        with open(config, "w") as f:
            f.write(CONFIG.format(steps=CALLS, python=sys.executable, child=CHILD, stamps=stamps))
        env = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "python", "exprun"),
               "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        subprocess.run([EXPRUN, config, "--out", os.path.join(tmp, "out"), "--quiet", "--fresh", "--jobs", "1"],
                       check=True, cwd=ROOT, env=env)
        with h5py.File(os.path.join(tmp, "out", "results.h5")) as f:
            (run,) = f["runs"].values()
            assert run.attrs["status"] in (b"completed", "completed"), run.attrs["message"]
            per_step = float(run["wall_time"][-1]) / CALLS if "wall_time" in run else float(run.attrs["wall_seconds"]) / CALLS
        arrivals, done = np.load(stamps)
        # Calls at log points (train_loss over the whole set) are in the stamps too: two of them.
        return np.diff(arrivals)[100:], (done - arrivals)[100:], per_step
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def rows():
    runs = [one_run() for _ in range(REPEATS)]
    trips = np.concatenate([r[0] for r in runs])
    compute = np.concatenate([r[1] for r in runs])
    per_step = statistics.median(r[2] for r in runs)
    median = float(np.median(trips)) * 1e6
    return [("external oracle round trip, d = 1000", f"{median:.1f} us",
             f"median of {trips.size:,} calls (p90 {np.percentile(trips, 90) * 1e6:.1f} us; the child's numpy "
             f"{np.median(compute) * 1e6:.1f} us of it; {per_step * 1e6:.1f} us per step in exprun's loop); target < 50 us")]


if __name__ == "__main__":
    for name, value, note in rows():
        print(f"  {name}  {value}  {note}")
