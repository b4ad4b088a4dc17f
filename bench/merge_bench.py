"""Merge speed for `make bench`: BENCH_MERGE_RUNS (default 10000) runs of 10 steps
(bench/merge.yaml) with --jobs 2, end to end into a fresh folder; then the same command again
on the finished folder (nothing new: the merge must not redo the work); then one run's shard
removed and the command again (one run re-run and merged into the existing file). Wall
seconds, process start to exit, and the peak resident memory of the fresh sweep. Medians of
BENCH_REPEATS (default 3). bench/bench.py calls `rows()`; run alone it prints them."""
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time

import h5py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPRUN = os.path.join(ROOT, ".build", "release", "exprun")
CONFIG = os.path.join(ROOT, "bench", "merge.yaml")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
RUNS = int(os.environ.get("BENCH_MERGE_RUNS", "10000"))


def timed(out, *extra):
    t0 = time.perf_counter()
    subprocess.run([EXPRUN, CONFIG, "--out", out, "--quiet", "--jobs", "2", "--set", f"seeds={RUNS}", *extra],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def once():
    out = tempfile.mkdtemp(prefix="exprun-bench-merge-")
    try:
        fresh = timed(out, "--fresh")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        again = timed(out)
        shards = os.path.join(out, "shards")
        os.unlink(os.path.join(shards, sorted(os.listdir(shards))[RUNS // 2]))
        one_new = timed(out)
        with h5py.File(os.path.join(out, "results.h5")) as f:
            assert len(f["index"]) == RUNS, len(f["index"])
        return fresh, again, one_new, peak_mb
    finally:
        shutil.rmtree(out, ignore_errors=True)


def rows():
    results = [once() for _ in range(REPEATS)]
    fresh, again, one_new, peak = (statistics.median(r[i] for r in results) for i in range(4))
    return [
        (f"{RUNS:,} runs of 10 steps, --jobs 2, fresh (run + merge)", f"{fresh:.1f} s",
         f"{1000 * fresh / RUNS:.2f} ms per run end to end; peak RSS of any child so far {peak:.0f} MB"),
        ("  the same command on the finished folder", f"{again:.2f} s", "nothing new: no merge (target < 1 s)"),
        ("  one shard removed, re-run and merged into the file", f"{one_new:.2f} s", "incremental merge"),
    ]


if __name__ == "__main__":
    for name, value, note in rows():
        print(f"  {name:<60}  {value:>10}  {note}")
