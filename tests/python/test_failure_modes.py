"""Each failure of issue 14, reproduced as it was reported, and what exprun does now."""
import fcntl
import os
import pathlib
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import EXPRUN, ROOT, run_exprun

CONFIG = """name: fm
seeds: SEEDS
run: {steps: STEPS, batch_size: 4, log: {points: 10}}
datasets:
  d: {kind: csv, path: d.csv, target_column: 0}
models:
  m: {kind: least_squares, dataset: d}
optimizers:
  sgd: {kind: sgd, lr: 0.05}
sweep:
  optimizer.lr: [0.01, 0.05]
"""


def experiment(folder, seeds=2, steps=100):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    rows = [",".join(repr(float(v)) for v in r) for r in np.c_[x @ [1.0, 2.0, -1.0], x]]
    (folder / "d.csv").write_text("\n".join(rows) + "\n")
    path = folder / "c.yaml"
    path.write_text(CONFIG.replace("SEEDS", str(seeds)).replace("STEPS", str(steps)))
    return path


def test_unwritable_out_is_one_line_exit_2(tmp_path):
    config = experiment(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("")
    r = run_exprun(config, "--out", blocker / "out", check=False, cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "Not a directory" in r.stderr, r.stderr
    assert "NSCocoaErrorDomain" not in r.stderr


def test_second_process_fails_naming_the_first_and_a_stale_lock_is_taken_over(tmp_path):
    config = experiment(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    # A live holder (this test) of the lock.
    with open(out / ".exprun.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(f"pid {os.getpid()} on here")
        f.flush()
        r = run_exprun(config, "--out", out, check=False, cwd=tmp_path)
        assert r.returncode == 2 and f"pid {os.getpid()}" in r.stderr, r.stderr
        assert not (out / "shards").exists() or not list((out / "shards").iterdir())
    # The holder is gone (as after kill -9): its lock file is stale, and is taken over.
    r = run_exprun(config, "--out", out, cwd=tmp_path)
    assert "took over the lock" in r.stderr and (out / "results.h5").exists()
    # A clean exit leaves no stale mark: the next run says nothing about a lock.
    r = run_exprun(config, "--out", out, cwd=tmp_path)
    assert "lock" not in r.stderr


def test_failed_runs_are_retried_and_the_exit_code_reports_the_folder(tmp_path):
    config = experiment(tmp_path)
    out = tmp_path / "out"
    # The data file vanishes after validation: every run fails (exit 1).
    good = (tmp_path / "d.csv").read_text()
    r = run_exprun(config, "--out", out, check=False, cwd=tmp_path, env={})
    assert r.returncode == 0
    # Make the failures: a shard rewritten with status failed stands for a run that failed.
    shards = sorted((out / "shards").glob("*.h5"))
    with h5py.File(shards[0], "r+") as f:
        (rid,) = list(f["runs"])
        f["runs"][rid].attrs["status"] = "failed"
    # --no-retry keeps it, and the exit code says a run in the folder failed (was 0).
    r = run_exprun(config, "--out", out, "--no-retry", check=False, cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    # A plain re-run retries it: it completes, exit 0.
    r = run_exprun(config, "--out", out, check=False, cwd=tmp_path)
    assert r.returncode == 0 and "retrying 1 failed run" in r.stderr, r.stderr
    with h5py.File(shards[0], "r") as f:
        assert f["runs"][rid].attrs["status"] == "completed"
    assert (tmp_path / "d.csv").read_text() == good


def test_editing_a_data_file_changes_the_run_ids(tmp_path):
    config = experiment(tmp_path)
    out = tmp_path / "out"
    run_exprun(config, "--out", out, cwd=tmp_path)
    before = {p.name for p in (out / "shards").glob("*.h5")}
    with open(tmp_path / "d.csv", "a") as f:
        f.write("1.0,2.0,3.0,4.0\n")
    r = run_exprun(config, "--out", out, cwd=tmp_path)
    assert "resuming" not in r.stderr, "the old shards were reused after the data changed"
    after = {p.name for p in (out / "shards").glob("*.h5")}
    assert len(after - before) == 4
    with h5py.File(out / "results.h5", "r") as f:
        ids = [x.decode() if isinstance(x, bytes) else x for x in f["index"]["run_id"]]
        assert set(ids) == {n[:-3] for n in after - before}
        assert "dataset.path.content_hash" in f["runs"][ids[0]].attrs


LIBSVM = CONFIG.replace("{kind: csv, path: d.csv, target_column: 0}", "{kind: libsvm, path: d.svm}")


def passwd_where():
    """/etc/passwd read as a CSV: line 1 (no number in it) is the header, and the first cell of
    line 2 is the first non-number, provided neither line has a comma (true of every Debian
    passwd: root's and daemon's entries have no GECOS commas)."""
    lines = pathlib.Path("/etc/passwd").read_text().splitlines()
    assert len(lines) >= 2 and "," not in lines[0] + lines[1], lines[:2]
    return "/etc/passwd:2:1: field 1: expected a number, found '" + lines[1][:40]


@pytest.mark.parametrize("case", ["csv_cell", "passwd", "libsvm_token"])
def test_data_content_errors_give_file_line_col_in_validate_data_and_the_run_once(tmp_path, case):
    config = experiment(tmp_path)
    if case == "csv_cell":
        # Line 41 (after the 40 good rows), third field, which begins at character 9.
        with open(tmp_path / "d.csv", "a") as f:
            f.write("1.0,2.0,abc,4.0\n")
        where = f"{tmp_path}/d.csv:41:9: field 3: expected a number, found 'abc'"
    elif case == "passwd":
        config.write_text(config.read_text().replace("path: d.csv", "path: /etc/passwd"))
        where = passwd_where()
    else:
        # A bad feature index on line 2: "-1 1:0.5 " is 9 characters, the token starts at 10.
        (tmp_path / "d.svm").write_text("1 1:0.5 2:0.25\n-1 1:0.5 two:1\n")
        config.write_text(LIBSVM.replace("SEEDS", "2").replace("STEPS", "10"))
        where = f"{tmp_path}/d.svm:2:10: bad feature index 'two'"
    assert run_exprun("validate", config, check=False, cwd=tmp_path).returncode == 0
    r = run_exprun("validate", "--data", config, check=False, cwd=tmp_path)
    assert r.returncode == 2 and where in r.stderr, r.stderr
    # The location leads the line, as a config error's does (editors jump to it).
    assert any(line.startswith(where) for line in r.stderr.splitlines()), r.stderr
    out = tmp_path / "out"
    r = run_exprun(config, "--out", out, check=False, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count(where) == 1, r.stderr
    assert not list((out / "shards").glob("*.h5"))


def test_libsvm_index_1e9_without_dim_is_refused_before_allocating(tmp_path):
    (tmp_path / "d.svm").write_text("1 1:0.5 1000000000:1.0\n-1 2:0.25\n")
    config = tmp_path / "c.yaml"
    config.write_text(LIBSVM.replace("SEEDS", "1").replace("STEPS", "10"))
    r = run_exprun("validate", "--data", config, check=False, cwd=tmp_path, timeout=60)
    assert r.returncode == 2 and "dim 1000000000" in r.stderr and "memory" in r.stderr, r.stderr


def test_sigterm_while_expanding_exits_130(tmp_path):
    config = experiment(tmp_path)
    # A large grid to expand, so the signal lands during expansion.
    config.write_text(config.read_text().replace("optimizer.lr: [0.01, 0.05]", "optimizer.lr: {logspace: [-4, 0, 50000]}")
                      + "limits: {max_runs: 200000}\n")
    p = subprocess.Popen([EXPRUN, str(config), "--out", str(tmp_path / "out"), "--quiet"], cwd=tmp_path,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=60) == 130
    assert not (tmp_path / "out" / "results.h5").exists()


def test_full_disk_stops_the_sweep_and_keeps_finished_shards(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("mounting a tmpfs is not allowed here (needs root)")
    try:
        config = experiment(tmp_path, seeds=200, steps=20000)
        config.write_text(config.read_text().replace("log: {points: 10}", "log: {every: 1}"))
        r = run_exprun(config, "--out", mnt / "out", "--jobs", "2", check=False, cwd=tmp_path, timeout=600)
        assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
        assert "could not be stored" in r.stderr and "No space left on device" in r.stderr, r.stderr[-2000:]
        assert "Backtrac" not in r.stderr
        shards = list((mnt / "out" / "shards").glob("*.h5"))
        assert 0 < len(shards) < 400, "the sweep must stop at the first storage error"
        for s in shards:
            with h5py.File(s, "r") as f:
                (rid,) = list(f["runs"])
                assert f["runs"][rid].attrs["status"] == "completed"
                assert len(f["runs"][rid]["step"]) == 20001
        # No half-written shard temporary is left in the shards folder.
        assert not list((mnt / "out" / "shards").glob(".tmp-*")), list((mnt / "out" / "shards").iterdir())
        # The merge's own temporary file and results.h5 atomicity under ENOSPC belong to the
        # merge rewrite (helper i18): until it is merged this part may fail.
        assert not list((mnt / "out").glob(".tmp-*")), "a merge temporary was left on the full disk (i18's merge fix)"
    finally:
        subprocess.run(["umount", "-l", str(mnt)])


@pytest.fixture(scope="module")
def many_shards(tmp_path_factory):
    """A finished sweep of 3000 tiny runs: its merge (3000 shards copied) lasts long enough to
    be signalled while the merge's temporary file exists."""
    folder = tmp_path_factory.mktemp("many")
    config = experiment(folder, seeds=1500, steps=2)
    config.write_text(config.read_text().replace("log: {points: 10}", "log: {points: 2}"))
    run_exprun(config, "--out", folder / "out", "--jobs", "2", "--quiet", cwd=folder, timeout=1200)
    return folder


def merge_temporaries(out):
    return list(out.glob(".tmp-results.h5-*"))


def signal_during_merge(command, out, signals, cwd):
    """Starts `command`, waits for its merge temporary to appear, sends `signals` (0.2 s apart)."""
    p = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, "EXPRUN_DATA": str(ROOT / "data")})
    deadline = time.monotonic() + 600
    while not merge_temporaries(out):
        assert p.poll() is None, f"exited {p.returncode} before merging: {p.communicate()}"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    for s in signals:
        p.send_signal(s)
        time.sleep(0.2)
    stdout, stderr = p.communicate(timeout=600)
    return p.returncode, stderr


def merged_ids(path):
    with h5py.File(path, "r") as f:
        return {x.decode() if isinstance(x, bytes) else x for x in f["index"]["run_id"]}


def shard_ids(out):
    return {p.name[:-3] for p in (out / "shards").glob("*.h5")}


@pytest.mark.parametrize("sig, subcommand", [(signal.SIGTERM, "run"), (signal.SIGINT, "run"), (signal.SIGTERM, "merge")])
def test_one_signal_while_merging_finishes_the_merge_and_exits_130(many_shards, tmp_path, sig, subcommand):
    out = tmp_path / "out"
    shutil.copytree(many_shards / "out", out)
    (out / "results.h5").unlink()
    (out / "summary.txt").unlink()
    if subcommand == "merge":
        # out/config.yaml names the data relative to itself (the data's hash is in the run ids).
        shutil.copy(many_shards / "d.csv", out / "d.csv")
    command = ([EXPRUN, str(many_shards / "c.yaml"), "--out", str(out), "--jobs", "2"] if subcommand == "run"
               else [EXPRUN, "merge", str(out)])
    code, stderr = signal_during_merge(command, out, [sig], many_shards)
    # Was: SIGTERM killed the merge (143), no summary, the temporary left forever.
    assert code == 130, stderr
    assert "interrupted while merging" in stderr, stderr
    assert merge_temporaries(out) == []
    assert merged_ids(out / "results.h5") == shard_ids(out) and len(shard_ids(out)) == 3000
    if subcommand == "run":
        # The summary of the new file: both cells with all 1500 seeds.
        rows = [line.split() for line in (out / "summary.txt").read_text().splitlines()]
        assert sorted(r[:2] for r in rows if r[0] in ("0.01", "0.05")) == [["0.01", "1500"], ["0.05", "1500"]], rows


def test_a_second_signal_while_merging_exits_at_once_keeping_the_old_complete_file(many_shards, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(many_shards / "out", out)
    old = (out / "results.h5").read_bytes()
    # Shards newer than results.h5 are merged again: a long incremental merge onto a copy.
    later = time.time() + 5
    for shard in (out / "shards").glob("*.h5"):
        os.utime(shard, (later, later))
    command = [EXPRUN, str(many_shards / "c.yaml"), "--out", str(out), "--jobs", "2"]
    code, stderr = signal_during_merge(command, out, [signal.SIGINT, signal.SIGINT], many_shards)
    assert code == 130 and "interrupted again, exiting now" in stderr, stderr
    # The rename never happened: results.h5 is the previous complete file, byte for byte.
    assert (out / "results.h5").read_bytes() == old
    assert merged_ids(out / "results.h5") == shard_ids(out)
    # The temporary of the killed merge is stale, and the next run removes it.
    r = run_exprun(many_shards / "c.yaml", "--out", out, "--jobs", "2", cwd=many_shards, timeout=1200)
    assert merge_temporaries(out) == [], r.stderr
    assert merged_ids(out / "results.h5") == shard_ids(out)
