"""Small command-line defects of issue 15, one test each."""
import shutil

from conftest import ROOT, run_exprun

CONFIG = ROOT / "tests" / "configs" / "small_sgd.yaml"


def test_comma_list_in_set_is_one_error_with_a_hint():
    proc = run_exprun(CONFIG, "--dry-run", "--set", "optimizer.lr=0.1,0.01", check=False)
    assert proc.returncode == 2
    lines = [l for l in proc.stderr.splitlines() if "lr must be a number" in l]
    assert len(lines) == 1, proc.stderr
    assert "for a sweep axis write a list: --set 'path=[0.1,0.01]'" in lines[0]
    assert "1 problem found" in proc.stderr


def test_unknown_help_topic_exits_2():
    proc = run_exprun("help", "nonsense", check=False)
    assert proc.returncode == 2 and "no help topic 'nonsense'" in proc.stderr
    proc = run_exprun("help", "sumary", check=False)
    assert proc.returncode == 2 and "did you mean 'summary'" in proc.stderr
    assert run_exprun("help", "summary").returncode == 0


def test_merge_counts_only_this_configs_runs(tmp_path):
    big, small = tmp_path / "big", tmp_path / "small"
    run_exprun(CONFIG, "--out", big, "--quiet", "--set", "seeds=2")
    run_exprun(CONFIG, "--out", small, "--quiet", "--set", "seeds=1")
    shutil.copy(small / "config.yaml", big / "config.yaml")   # 16 shards on disk, 8 runs in the config
    assert "merged 8 of 8 runs" in run_exprun("merge", big).stdout


def test_one_seed_is_singular_and_step_says_which_log_point(tmp_path):
    assert "(1 seed x 8 cells)" in run_exprun(CONFIG, "--dry-run", "--set", "seeds=1").stdout
    out = tmp_path / "res"
    run_exprun(CONFIG, "--out", out, "--quiet", "--set", "seeds=2")
    proc = run_exprun("summary", out / "results.h5", "--step", "1000")
    assert "value at the last log point at or before step 1000" in proc.stdout
    assert "step 1000 is not a log point" in proc.stderr and "(899 here)" in proc.stderr


def test_sort_by_mean_ranks_cells_with_diverged_seeds_last(diverged_results):
    text = run_exprun("summary", diverged_results, "--view", "last", "--sort", "mean").stdout
    rows = [l.split() for l in text.splitlines()[3:] if l.strip()]
    diverged = [int(r[4]) for r in rows]        # model, schedule, lr, n, diverged, mean ...
    assert diverged == sorted(diverged) and diverged[-1] > 0
