"""`make bench`: speed of exprun against the same loops written plainly, repeated (the
machine is shared and noisy) and reported as medians. Not a test: it prints numbers."""
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import h5py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPRUN = os.path.join(ROOT, ".build", "release", "exprun")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
SWEEP = os.path.join(ROOT, "bench", "sgd_logistic.yaml")
TOTAL_STEPS = 20 * 20000


def median_of(fn, repeats=REPEATS):
    values = [fn() for _ in range(repeats)]
    return statistics.median(values), values


def timed_sweep(config, *args):
    """One fresh sweep: (wall seconds end to end, median per-run wall_seconds)."""
    out = tempfile.mkdtemp(prefix="exprun-bench-")
    try:
        t0 = time.perf_counter()
        subprocess.run([EXPRUN, config, "--out", out, "--quiet", "--fresh", *args], check=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        with h5py.File(os.path.join(out, "results.h5")) as f:
            per_run = statistics.median(f["runs"][r].attrs["wall_seconds"] for r in f["runs"])
        return wall, per_run
    finally:
        shutil.rmtree(out, ignore_errors=True)


def blas_core():
    """The blas provenance attribute of a tiny run: OpenBLAS's configuration and how its core was chosen."""
    out = tempfile.mkdtemp(prefix="exprun-bench-blas-")
    try:
        subprocess.run([EXPRUN, SWEEP, "--out", out, "--quiet", "--fresh", "--set", "seeds=1", "--set", "run.steps=1"],
                       check=True, cwd=ROOT)
        with h5py.File(os.path.join(out, "results.h5")) as f:
            value = f.attrs["blas"]
            return value.decode() if isinstance(value, bytes) else str(value)
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main():
    print(f"BLAS: {blas_core()}")
    import numpy
    config = numpy.show_config(mode="dicts") if "mode" in numpy.show_config.__code__.co_varnames else {}
    blas = config.get("Build Dependencies", {}).get("blas", {})
    print(f"numpy {numpy.__version__} BLAS: {blas.get('openblas configuration', blas.get('name', 'unknown'))}")
    env1 = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    print(f"exprun benchmarks (median of {REPEATS}; logistic regression n=20000 d=100 batch 32)")
    c_rate, _ = median_of(lambda: float(subprocess.run([os.path.join(ROOT, "bench", "out", "sgd_loop")],
                                                       capture_output=True, text=True, check=True).stdout))
    np_rate, _ = median_of(lambda: float(subprocess.run([sys.executable, os.path.join(ROOT, "bench", "sgd_numpy.py"), "5000"],
                                                        capture_output=True, text=True, check=True, env=env1).stdout))
    j1, _ = median_of(lambda: timed_sweep(SWEEP, "--jobs", "1")[0])
    j2, _ = median_of(lambda: timed_sweep(SWEEP, "--jobs", "2")[0])
    # Per step: the median run's wall time (the loop of one run, as the C and numpy loops are
    # timed: without generating the data set, starting the process or merging results).
    loop, _ = median_of(lambda: timed_sweep(SWEEP, "--jobs", "1")[1])
    # Logging overhead: every step logged (cheap metrics) against two log points, measured in
    # alternating pairs so that drift in the shared machine's speed does not bias the ratio.
    pairs = [(timed_sweep(SWEEP, "--jobs", "1")[1], timed_sweep(SWEEP, "--jobs", "1", "--set", "run.log={every: 1}")[1])
             for _ in range(max(REPEATS, 5))]
    logging_overhead = statistics.median(e / p - 1 for p, e in pairs)
    rate_loop = 20000 / loop
    rate1 = TOTAL_STEPS / j1
    rows = [
        ("plain C loop (-O3 -march=native, same arithmetic), steps/s", f"{c_rate:,.0f}", ""),
        ("plain numpy loop, steps/s", f"{np_rate:,.0f}", ""),
        ("exprun, one run's loop (median run), steps/s", f"{rate_loop:,.0f}",
         f"{rate_loop / np_rate:.1f}x numpy, {rate_loop / c_rate:.2f}x the C loop's steps/s (target >= 1x)"),
        ("exprun sweep --jobs 1, steps/s (20 runs, end to end)", f"{rate1:,.0f}",
         f"{rate1 / np_rate:.1f}x numpy, incl. data generation, start-up and merge"),
        ("exprun sweep --jobs 2, steps/s", f"{TOTAL_STEPS / j2:,.0f}", f"speedup {j1 / j2:.2f}x over --jobs 1 (target >= 1.85x)"),
        ("logging every step (batch_loss, lr, grad_evals)", f"{100 * logging_overhead:+.1f}% run time",
         "median of paired runs against 2 log points (target < 5%)"),
    ]
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import online_bench   # the headline online sweep (configs/sea_omd.yaml), rounds per second
    rows += online_bench.rows()
    import merge_bench    # many tiny runs: shards and the merge into results.h5
    rows += merge_bench.rows()
    extra = os.path.join(ROOT, "bench", "extra.py")
    w = max(len(r[0]) for r in rows)
    for name, value, note in rows:
        print(f"  {name:<{w}}  {value:>14}  {note}")
    if os.path.exists(extra):
        subprocess.run([sys.executable, extra], check=True, cwd=ROOT)


if __name__ == "__main__":
    main()
