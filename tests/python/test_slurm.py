"""A real SLURM cluster (tests/slurm/cluster.sh: slurmctld + slurmd on this machine, no
systemd): `exprun submit --slurm` must give results.h5 bit for bit equal to a local run, and a
failing array task must be reported by `exprun status` with its runs missing, not corrupt.
Skipped with a message only where the daemons cannot start."""
import os
import pathlib
import shutil
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import EXPRUN, ROOT, run_exprun

CLUSTER = ROOT / "tests" / "slurm" / "cluster.sh"

CONFIG = """name: slurmtest
seeds: 2
run: {steps: 200, batch_size: 4, log: {points: 20}}
datasets:
  good: {kind: csv, path: good.csv, target_column: 0}
  bad: {kind: csv, path: bad.csv, target_column: 0}
models:
  m: {kind: least_squares, dataset: good}
optimizers:
  sgd: {kind: sgd, lr: 0.05}
sweep:
  dataset: DATASETS
  optimizer.lr: [0.01, 0.05]
"""


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if not all(shutil.which(b) for b in ("slurmctld", "slurmd", "sbatch", "squeue")):
        pytest.skip("SLURM is not installed (make test installs slurmctld, slurmd and slurm-client)")
    state = tmp_path_factory.mktemp("slurm")
    started = subprocess.run(["bash", str(CLUSTER), "start", str(state)], capture_output=True, text=True, timeout=90)
    if started.returncode != 0:
        pytest.skip(f"the SLURM daemons cannot start here:\n{started.stderr[-2000:]}")
    env = {"SLURM_CONF": str(state / "slurm.conf")}
    try:
        yield env
    finally:
        subprocess.run(["bash", str(CLUSTER), "stop", str(state)], timeout=60)


def write_experiment(folder, datasets):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.normal(size=60)
    rows = [",".join(repr(float(v)) for v in [t, *r]) for t, r in zip(y, x)]
    (folder / "good.csv").write_text("\n".join(rows) + "\n")
    (folder / "bad.csv").write_text("\n".join(rows[:30] + ["1.0,2.0,oops,3.0,4.0"] + rows[30:]) + "\n")
    config = folder / "c.yaml"
    config.write_text(CONFIG.replace("DATASETS", datasets))
    return config


def wait_for(predicate, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def queue_empty(env, job):
    out = subprocess.run(["squeue", "-h", "-j", job], capture_output=True, text=True, env={**os.environ, **env})
    return out.returncode != 0 or out.stdout.strip() == ""


def arrays(path):
    out = {}
    with h5py.File(path, "r") as f:
        # /tables is derived from /runs and holds wall_seconds too: the runs are compared instead.
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) and not name.startswith("tables/") else None)
        for name in f["runs"]:
            out["attrs:" + name] = dict(f["runs"][name].attrs)
    return out


def submission(out):
    import json
    return json.loads((out / "slurm" / "submission.json").read_text())


def test_submit_equals_local_run_bit_for_bit(cluster, tmp_path):
    config = write_experiment(tmp_path, "[good]")
    local = tmp_path / "local"
    run_exprun(config, "--out", local, "--jobs", "1", "--quiet", cwd=tmp_path)
    out = tmp_path / "cluster"
    dry = run_exprun("submit", config, "--slurm", "--out", out, "--tasks", "3", "--dry-run", cwd=tmp_path, env=cluster)
    assert "#SBATCH --array=0-2" in dry.stdout and "--shard \"${SLURM_ARRAY_TASK_ID}/3\"" in dry.stdout
    assert not out.exists(), "--dry-run submits and writes nothing"

    sub = run_exprun("submit", config, "--slurm", "--out", out, "--tasks", "3", "--time", "00:10:00",
                     cwd=tmp_path, env=cluster)
    assert "submitted array job" in sub.stdout
    jobs = submission(out)
    wait_for(lambda: queue_empty(cluster, jobs["arrayJob"]) and queue_empty(cluster, jobs["mergeJob"]), 240,
             "the array and merge jobs")
    assert (out / "results.h5").exists(), (out / "slurm").iterdir()
    status = run_exprun("status", out, env=cluster)
    assert "4 runs: 4 finished, 0 running, 0 failed, 0 missing" in status.stdout, status.stdout
    assert "merge job" in status.stdout and "done" in status.stdout

    a, b = arrays(local / "results.h5"), arrays(out / "results.h5")
    assert a.keys() == b.keys()
    for key in a:
        if key.startswith("attrs:"):
            assert {k: v for k, v in a[key].items() if k != "wall_seconds"} == \
                   {k: v for k, v in b[key].items() if k != "wall_seconds"}, key
        elif key.endswith("index"):
            assert a[key].tobytes() == b[key].tobytes() or list(a[key]) == list(b[key])
        else:
            assert np.array_equal(a[key], b[key]) and a[key].tobytes() == b[key].tobytes(), key

    # Nothing missing: a re-submission sends nothing.
    again = run_exprun("submit", config, "--slurm", "--out", out, "--tasks", "3", cwd=tmp_path, env=cluster)
    assert "nothing to submit" in again.stdout


def test_failing_task_is_reported_and_its_runs_stay_missing(cluster, tmp_path):
    # Grid order: good x 2 rates x 2 seeds, then bad x 2 x 2; with 8 tasks (task k takes run k)
    # tasks 4..7 read bad.csv: they fail in their data check, before running anything.
    config = write_experiment(tmp_path, "[good, bad]")
    out = tmp_path / "cluster"
    run_exprun("submit", config, "--slurm", "--out", out, "--tasks", "8", cwd=tmp_path, env=cluster)
    jobs = submission(out)
    wait_for(lambda: queue_empty(cluster, jobs["arrayJob"]), 240, "the array job")
    wait_for(lambda: queue_empty(cluster, jobs["mergeJob"]), 60, "the merge job to be cancelled")
    status = run_exprun("status", out, env=cluster).stdout
    assert "8 runs: 4 finished, 0 running, 0 failed, 4 missing" in status, status
    for task in range(4, 8):
        assert f"task {task} failed (exit 2)" in status, status
    assert "not run (a task failed)" in status
    assert not (out / "results.h5").exists(), "the merge (afterok) must not run after a failed task"
    # The error is the data file's, located, in the task's log.
    log = (out / "slurm" / f"task-{jobs['arrayJob']}_4.out").read_text()
    assert "bad.csv:31" in log, log
    # The finished runs' shards are intact; the failed tasks left nothing (no corrupt shard).
    shards = sorted((out / "shards").glob("*.h5"))
    assert len(shards) == 4
    for s in shards:
        with h5py.File(s, "r") as f:
            (rid,) = list(f["runs"])
            assert f["runs"][rid].attrs["status"] == "completed"
    # Fixing the file and re-submitting sends only the 4 missing runs' tasks.
    (tmp_path / "bad.csv").write_text((tmp_path / "good.csv").read_text())
    sub = run_exprun("submit", config, "--slurm", "--out", out, "--tasks", "8", cwd=tmp_path, env=cluster)
    assert "(4 of 8 tasks, 4 runs to do)" in sub.stdout, sub.stdout
    jobs = submission(out)
    assert jobs["indices"] == [4, 5, 6, 7]
    wait_for(lambda: queue_empty(cluster, jobs["arrayJob"]) and queue_empty(cluster, jobs["mergeJob"]), 240, "resubmission")
    status = run_exprun("status", out, env=cluster).stdout
    assert "8 runs: 8 finished, 0 running, 0 failed, 0 missing" in status, status
    assert (out / "results.h5").exists()
