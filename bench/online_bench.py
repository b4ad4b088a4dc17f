"""Online speed for `make bench`: the headline online sweep (configs/sea_omd.yaml) end to end
with --jobs 1 and --jobs 2, median of BENCH_REPEATS (default 3) fresh runs into a temporary
output folder. Prints total rounds per second (all runs' rounds / wall time, process start to
exit) and the median of the per-run `rounds_per_second` attribute of results.h5 (the game loop
alone). Not a test: it prints numbers. bench/bench.py calls `rows()`; run alone it prints them."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import h5py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPRUN = os.path.join(ROOT, ".build", "release", "exprun")
CONFIG = os.path.join(ROOT, "configs", "sea_omd.yaml")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))


def sweep(jobs):
    """One fresh sweep: (wall seconds, total rounds, per-run rounds_per_second values)."""
    out = tempfile.mkdtemp(prefix="exprun-online-bench-")
    try:
        t0 = time.perf_counter()
        subprocess.run([EXPRUN, CONFIG, "--fresh", "--quiet", "--jobs", str(jobs), "--out", out],
                       check=True, cwd=ROOT)
        wall = time.perf_counter() - t0
        with h5py.File(os.path.join(out, "results.h5"), "r") as f:
            runs = [f["runs"][r].attrs for r in f["runs"]]
            # Count the rounds actually played (a run may stop early) rather than assume the grid size.
            rounds = sum(int(a["rounds"]) for a in runs)
            per_run = [float(a["rounds_per_second"]) for a in runs]
        return wall, rounds, per_run
    finally:
        shutil.rmtree(out, ignore_errors=True)


def measure(jobs, repeats=REPEATS):
    """Median over repeats of (total rounds/s, median per-run rounds/s), plus runs and rounds."""
    results = [sweep(jobs) for _ in range(repeats)]
    total = statistics.median(r[1] / r[0] for r in results)
    per_run = statistics.median(statistics.median(r[2]) for r in results)
    return total, per_run, len(results[0][2]), results[0][1]


def rows():
    """(name, value, note) rows in bench/bench.py's format."""
    t1, p1, runs, rounds = measure(1)
    t2, p2, _, _ = measure(2)
    grid = f"{runs} runs, {rounds:,} rounds"
    return [
        (f"online sweep sea_omd --jobs 1, rounds/s ({grid}, end to end)", f"{t1:,.0f}", ""),
        ("online sweep sea_omd --jobs 2, rounds/s", f"{t2:,.0f}", f"speedup {t2 / t1:.2f}x over --jobs 1"),
        ("online per-run rounds_per_second, median (--jobs 1)", f"{p1:,.0f}", "game loop only"),
        ("online per-run rounds_per_second, median (--jobs 2)", f"{p2:,.0f}", ""),
    ]


def main():
    if not os.path.exists(EXPRUN):
        sys.exit(f"{EXPRUN} is missing: build first (swift build -c release)")
    print(f"exprun online benchmarks (median of {REPEATS}; {os.path.relpath(CONFIG, ROOT)})")
    table = rows()
    w = max(len(r[0]) for r in table)
    for name, value, note in table:
        print(f"  {name:<{w}}  {value:>14}  {note}")


if __name__ == "__main__":
    main()
