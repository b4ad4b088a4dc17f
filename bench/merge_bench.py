"""Store speed for `make bench`: BENCH_MERGE_RUNS (default 10000) runs of 10 steps
(bench/merge.yaml) with --jobs 2 into a fresh folder; the same command again on the finished
folder (nothing new: no merge, no summary, no shard opened); one shard removed and the
command again (one run re-run and merged into the existing file); the merge alone (results.h5
removed, `exprun merge`); then `exprun.load` / `to_xarray` of the file through /tables and
through the run groups (a copy without /tables); the merge alone again through libhdf5 alone
(EXPRUN_HDF5_WRITER=libhdf5, the reference of the native writer). Wall seconds, CPU seconds (user + system) and
peak resident memory of each command (/usr/bin/time), medians of BENCH_REPEATS (default 3).
Then once BENCH_MERGE_BIG runs (default 100000; 0 skips it) fresh, again finished, with one
shard removed, and merged alone (peak memory per run: the growth of the peak from
BENCH_MERGE_RUNS), and the C floor of
writing one run group through libhdf5 (bench/hdf5_floor.c). bench/bench.py calls `rows()`."""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import h5py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPRUN = os.environ.get("BENCH_EXPRUN", os.path.join(ROOT, ".build", "release", "exprun"))
CONFIG = os.path.join(ROOT, "bench", "merge.yaml")
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
RUNS = int(os.environ.get("BENCH_MERGE_RUNS", "10000"))
BIG = int(os.environ.get("BENCH_MERGE_BIG", "100000"))
FLOOR = os.path.join(ROOT, "bench", "out", "hdf5_floor")
sys.path.insert(0, os.path.join(ROOT, "python", "exprun"))


def timed(args, env=None):
    """(wall, cpu, peak MB) of one exprun command: /usr/bin/time's elapsed, user + system
    seconds and maximum resident set. `env`: variables added to the environment."""
    r = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", EXPRUN, *args], cwd=ROOT, capture_output=True,
                       text=True, check=True, env={**os.environ, **(env or {})})
    wall, user, system, peak = r.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(peak) / 1024


def sweep(out, runs, *extra):
    return timed([CONFIG, "--out", out, "--quiet", "--jobs", "2", "--set", f"seeds={runs}", *extra])


def timed_python(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def once():
    import exprun
    out = tempfile.mkdtemp(prefix="exprun-bench-merge-")
    try:
        fresh = sweep(out, RUNS, "--fresh")
        again = sweep(out, RUNS)
        shards = os.path.join(out, "shards")
        os.unlink(os.path.join(shards, sorted(n for n in os.listdir(shards) if n.endswith(".h5"))[RUNS // 2]))
        one_new = sweep(out, RUNS)
        results = os.path.join(out, "results.h5")
        with h5py.File(results) as f:
            assert len(f["index"]) == RUNS, len(f["index"])
        os.unlink(results)
        os.unlink(os.path.join(shards, ".manifest"))
        merge = timed(["merge", out])
        slow = os.path.join(out, "no_tables.h5")
        shutil.copy(results, slow)
        with h5py.File(slow, "r+") as f:
            del f["tables"]
        load_fast = timed_python(lambda: exprun.load(results))
        load_slow = timed_python(lambda: exprun.load(slow))
        xr_fast = timed_python(lambda: exprun.to_xarray(results))
        # The same merge through libhdf5 alone, the reference implementation of the native writer.
        os.unlink(results)
        os.unlink(os.path.join(shards, ".manifest"))
        merge_libhdf5 = timed(["merge", out], env={"EXPRUN_HDF5_WRITER": "libhdf5"})
        return fresh, again, one_new, merge, load_fast, load_slow, xr_fast, merge_libhdf5
    finally:
        shutil.rmtree(out, ignore_errors=True)


def big():
    """BIG runs fresh, the same command on the finished folder, one shard removed (an
    incremental merge of a file of BIG runs), the merge alone."""
    out = tempfile.mkdtemp(prefix="exprun-bench-big-")
    try:
        fresh = sweep(out, BIG, "--fresh")
        again = sweep(out, BIG)
        shards = os.path.join(out, "shards")
        os.unlink(os.path.join(shards, sorted(n for n in os.listdir(shards) if n.endswith(".h5"))[BIG // 2]))
        one_new = sweep(out, BIG)
        os.unlink(os.path.join(out, "results.h5"))
        os.unlink(os.path.join(shards, ".manifest"))
        merge = timed(["merge", out])
        return fresh, again, one_new, merge
    finally:
        shutil.rmtree(out, ignore_errors=True)


def floor():
    """µs per run group of bench/merge.yaml's shape written by plain C (44 attributes, 3 arrays)."""
    if not os.path.exists(FLOOR):
        return None
    values = [float(subprocess.run([FLOOR, "2000", "44"], capture_output=True, text=True, check=True).stdout)
              for _ in range(REPEATS)]
    return statistics.median(values)


def rows():
    results = [once() for _ in range(REPEATS)]
    med = [statistics.median(r[i][k] for r in results) for i in range(4) for k in range(3)]
    fresh, fresh_cpu, fresh_peak, again, again_cpu, _, one_new, one_cpu, _, merge, merge_cpu, merge_peak = med
    load_fast, load_slow, xr_fast = (statistics.median(r[i] for r in results) for i in range(4, 7))
    lib_cpu, lib_peak = (statistics.median(r[7][k] for r in results) for k in (1, 2))
    out = [
        (f"{RUNS:,} runs of 10 steps, --jobs 2, fresh (run + merge)", f"{fresh:.1f} s",
         f"{1000 * fresh / RUNS:.2f} ms per run end to end, {fresh_cpu:.1f} s CPU, peak RSS {fresh_peak:.0f} MB"),
        ("  the same command on the finished folder", f"{again:.2f} s",
         f"{again_cpu:.2f} s CPU; nothing new: no merge, no summary, no shard opened (target < 1 s)"),
        ("  one shard removed, re-run and merged into the file", f"{one_new:.2f} s", f"{one_cpu:.2f} s CPU; incremental merge"),
        ("  the merge alone (exprun merge into no results.h5)", f"{merge:.1f} s",
         f"{1000 * merge_cpu / RUNS:.2f} ms CPU per run ({merge_cpu:.1f} s CPU), peak RSS {merge_peak:.0f} MB; "
         f"through libhdf5 alone (EXPRUN_HDF5_WRITER=libhdf5) {1000 * lib_cpu / RUNS:.2f} ms, "
         f"{lib_cpu / merge_cpu:.1f}x, peak RSS {lib_peak:.0f} MB"),
        (f"  exprun.load of the {RUNS:,}-run file", f"{load_fast:.2f} s",
         f"through /tables; {load_slow:.1f} s through the run groups ({load_slow / load_fast:.0f}x)"),
        (f"  exprun.to_xarray of the {RUNS:,}-run file", f"{xr_fast:.2f} s", "through /tables"),
    ]
    us = floor()
    if us is not None:
        out.append(("  libhdf5 floor: one such run group written from C", f"{us:.0f} us",
                    "44 attributes + 3 arrays (bench/hdf5_floor.c): the least a merge can spend per run"))
    if BIG > 0:
        (wall, cpu, peak), (awall, _, apeak), (owall, _, opeak), (mwall, mcpu, mpeak) = big()
        # Memory per run: what the peak grows by from RUNS to BIG runs.
        per_run = lambda big_peak, small_peak: 1e6 * (big_peak - small_peak) / (BIG - RUNS) if BIG > RUNS else float("nan")
        out.append((f"{BIG:,} runs of 10 steps, --jobs 2, fresh (run + merge)", f"{wall:.0f} s",
                    f"{cpu:.0f} s CPU, peak RSS {peak:.0f} MB ({per_run(peak, fresh_peak):.0f} bytes per run more than "
                    f"at {RUNS:,}); the merge alone {mwall:.0f} s "
                    f"({1000 * mcpu / BIG:.2f} ms CPU per run, peak RSS {mpeak:.0f} MB, {per_run(mpeak, merge_peak):.0f} "
                    f"bytes per run) (target < 60 s)"))
        out.append(("  the same command on the finished folder", f"{awall:.1f} s", f"peak RSS {apeak:.0f} MB"))
        out.append(("  one shard removed, re-run and merged into the file", f"{owall:.1f} s",
                    f"peak RSS {opeak:.0f} MB; incremental merge of a {BIG:,}-run file"))
    return out


if __name__ == "__main__":
    for name, value, note in rows():
        print(f"  {name:<60}  {value:>10}  {note}")
