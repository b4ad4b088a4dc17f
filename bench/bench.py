"""`make bench`: speed of exprun against the same work written plainly (C, numpy), repeated
(the machine is shared and noisy) in alternating pairs and reported as medians. Not a test: it
prints numbers, and writes them as a markdown table to bench/out/speed.md; with
BENCH_README=1 that table replaces the one between the bench:table markers of README.md."""
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
ENV1 = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
sys.path.insert(0, os.path.join(ROOT, "bench"))


def median_of(fn, repeats=REPEATS):
    return statistics.median(fn() for _ in range(repeats))


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


def numpy_blas():
    import numpy
    config = numpy.show_config(mode="dicts") if "mode" in numpy.show_config.__code__.co_varnames else {}
    blas = config.get("Build Dependencies", {}).get("blas", {})
    return f"numpy {numpy.__version__}: {blas.get('openblas configuration', blas.get('name', 'unknown'))}"


def numpy_sweep(jobs):
    script = os.path.join(ROOT, "bench", "sgd_numpy_sweep.py")
    return float(subprocess.run([sys.executable, script, "--jobs", str(jobs)], capture_output=True, text=True,
                                check=True, env=ENV1).stdout)


def sgd_rows():
    c_rate = median_of(lambda: float(subprocess.run([os.path.join(ROOT, "bench", "out", "sgd_loop")],
                                                    capture_output=True, text=True, check=True).stdout))
    np_rate = median_of(lambda: float(subprocess.run(
        [sys.executable, os.path.join(ROOT, "bench", "sgd_numpy.py"), "5000"],
        capture_output=True, text=True, check=True, env=ENV1).stdout))
    # --jobs 1 and --jobs 2 alternate, so drift in the shared machine's speed hits both alike;
    # the speedup is the median of the pairs' ratios. Per step: the median run's wall time (the
    # loop of one run, timed as the C and numpy loops are: no data generation, start-up, merge).
    pairs = [(timed_sweep(SWEEP, "--jobs", "1"), timed_sweep(SWEEP, "--jobs", "2")) for _ in range(max(REPEATS, 5))]
    j1 = statistics.median(p[0][0] for p in pairs)
    j2 = statistics.median(p[1][0] for p in pairs)
    speedup = statistics.median(p[0][0] / p[1][0] for p in pairs)
    loop = statistics.median(p[0][1] for p in pairs)
    np_pairs = [(numpy_sweep(1), numpy_sweep(2)) for _ in range(REPEATS)]
    np1 = statistics.median(p[0] for p in np_pairs)
    np2 = statistics.median(p[1] for p in np_pairs)
    # Logging overhead: every step logged (cheap metrics) against two log points, in pairs.
    log_pairs = [(timed_sweep(SWEEP, "--jobs", "1")[1],
                  timed_sweep(SWEEP, "--jobs", "1", "--set", "run.log={every: 1}")[1])
                 for _ in range(max(REPEATS, 5))]
    logging_overhead = statistics.median(e / p - 1 for p, e in log_pairs)
    rate_loop = 20000 / loop
    return [
        ("plain C loop (-O3 -march=native, same arithmetic), steps/s", f"{c_rate:,.0f}", ""),
        ("plain numpy loop, one BLAS thread, steps/s", f"{np_rate:,.0f}", ""),
        ("exprun, one run's loop (median run), steps/s", f"{rate_loop:,.0f}",
         f"{rate_loop / c_rate:.2f}x the C loop (target >= 1x), {rate_loop / np_rate:.1f}x numpy"),
        ("exprun sweep --jobs 1 (20 runs x 20,000 steps, end to end)", f"{j1:.2f} s",
         f"{TOTAL_STEPS / j1:,.0f} steps/s incl. data generation, start-up and merge"),
        ("exprun sweep --jobs 2", f"{j2:.2f} s",
         f"speedup {speedup:.2f}x over --jobs 1 (median of {len(pairs)} alternating pairs; target >= 1.85x)"),
        ("the same sweep as a plain numpy script (bench/sgd_numpy_sweep.py), 1 process", f"{np1:.1f} s",
         f"exprun --jobs 1 is {np1 / j1:.1f}x faster"),
        ("  the numpy script, 2 worker processes", f"{np2:.1f} s", f"exprun --jobs 2 is {np2 / j2:.1f}x faster"),
        ("logging every step (batch_loss, lr, grad_evals)", f"{100 * logging_overhead:+.1f}% run time",
         "median of paired runs against 2 log points (target < 5%)"),
    ]


def markdown(header, rows):
    lines = [header, "", "| benchmark | measured | against / target |", "|---|---|---|"]
    lines += [f"| {name.strip()} | {value} | {note} |" for name, value, note in rows]
    return "\n".join(lines) + "\n"


def update_readme(table):
    path = os.path.join(ROOT, "README.md")
    text = open(path, encoding="utf-8").read()
    pattern = re.compile(r"(<!-- bench:table:start -->\n).*?(<!-- bench:table:end -->)", re.S)
    if not pattern.search(text):
        sys.exit("README.md has no <!-- bench:table:start --> ... <!-- bench:table:end --> block")
    open(path, "w", encoding="utf-8").write(pattern.sub(lambda m: m.group(1) + table + m.group(2), text))


def main():
    blas, np_blas = blas_core(), numpy_blas()
    print(f"BLAS: {blas}\n{np_blas}")
    print(f"exprun benchmarks (medians of {REPEATS} or more alternating runs)", flush=True)
    import extra          # the MLP step against numpy
    import merge_bench    # many tiny runs: shards and the merge into results.h5
    import online_bench   # the headline online sweep (configs/sea_omd.yaml), rounds per second
    rows = [("BLAS (exprun)", blas.split(";")[-1].strip(), np_blas)]
    for part in (sgd_rows, extra.rows, online_bench.rows, merge_bench.rows):
        part_rows = part()
        w = max(len(r[0]) for r in part_rows)
        for name, value, note in part_rows:
            print(f"  {name:<{w}}  {value:>14}  {note}", flush=True)
        rows += part_rows
    if os.path.exists(os.path.join(ROOT, "bench", "oracle_bench.py")):
        import oracle_bench   # the external oracle's round trip
        for name, value, note in oracle_bench.rows():
            print(f"  {name}  {value}  {note}", flush=True)
            rows.append((name, value, note))
    load = os.getloadavg()[0]
    header = (f"Measured by `make bench` on {time.strftime('%Y-%m-%d')} ({os.cpu_count()} cores, load average "
              f"{load:.1f} at the end; medians of {REPEATS} or more alternating runs).")
    table = markdown(header, rows)
    os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
    with open(os.path.join(ROOT, "bench", "out", "speed.md"), "w", encoding="utf-8") as f:
        f.write(table)
    print("table written to bench/out/speed.md")
    if os.environ.get("BENCH_README") == "1":
        update_readme(table)
        print("README.md's speed table regenerated")


if __name__ == "__main__":
    main()
