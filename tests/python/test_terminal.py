"""The sweep's terminal output under a real terminal (tmux): step-level progress while no run
has finished, elapsed time and ETA, the short end table, and the resume hint after Ctrl-C."""
import os
import re
import shlex
import shutil
import time

import pytest

from conftest import EXPRUN, ROOT, run_exprun

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is installed by the Makefile")


def _pane(sock, name):
    return os.popen(f"tmux -L {sock} capture-pane -p -t {name}").read()


def _wait(sock, name, pattern, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        text = _pane(sock, name)
        if re.search(pattern, text):
            return text
        time.sleep(0.05)
    raise AssertionError(f"never saw {pattern!r}; pane:\n{_pane(sock, name)}")


def test_progress_moves_before_any_run_finishes_and_ctrl_c_says_how_to_resume(tmp_path):
    sock, name = f"exprun-test-{os.getpid()}", "sweep"
    out = tmp_path / "long"
    args = [EXPRUN, str(ROOT / "tests" / "configs" / "small_sgd.yaml"), "--out", str(out), "--jobs", "2",
            "--set", "seeds=1", "--set", "run.steps=20000000"]
    cmd = f"cd {shlex.quote(str(ROOT))} && EXPRUN_DATA={shlex.quote(str(ROOT / 'data'))} {shlex.join(args)}; sleep 60"
    os.system(f"tmux -L {sock} new-session -d -s {name} -x 220 -y 40 {shlex.quote(cmd)}")
    try:
        # 8 runs of 20M steps: the bar moves by steps while 0 of 8 runs are done.
        text = _wait(sock, name, r"\] +[1-9]\d*%  0/8 runs  2 running  .* elapsed  ETA \d+:\d\d")
        assert "\r" not in text
        os.system(f"tmux -L {sock} send-keys -t {name} C-c")
        text = _wait(sock, name, r"to resume, run again: exprun ")
        assert "interrupted: 0 of 8 runs finished and kept" in text
        hint = re.search(r"to resume, run again: exprun (.*)", text).group(1)
        assert hint.startswith(str(ROOT / "tests" / "configs" / "small_sgd.yaml"))
    finally:
        os.system(f"tmux -L {sock} kill-server")


def test_end_of_sweep_table_is_short_and_says_where_the_full_one_is(tmp_path):
    out = tmp_path / "res"
    proc = run_exprun(ROOT / "tests" / "configs" / "small_sgd.yaml", "--out", out, "--set", "optimizer.lr=[0.01,0.1,1.0]",
                      "--set", "seeds=2")
    assert "best optimizer.lr per method and problem" in proc.stdout      # a swept step size: the tuned comparison
    assert f"full table (every cell and view): {out}/summary.txt" in proc.stdout
    assert len(proc.stdout.splitlines()) < 20 < len((out / "summary.txt").read_text().splitlines())
    plain = run_exprun(ROOT / "tests" / "configs" / "small_sgd.yaml", "--out", tmp_path / "plain",
                       "--set", "optimizer.lr=0.1", "--set", "seeds=2").stdout
    assert "the best 4 of 4 cells" not in plain and f"full table (every cell and view): {tmp_path}/plain/summary.txt" in plain
