"""`exprun compare`: the pivot and the paired statistics recomputed with pandas and scipy from
the tidy frame of the same file."""
import json

import numpy as np
import pytest
from scipy import stats

import exprun
from conftest import ROOT, run_exprun


@pytest.fixture(scope="module")
def eight_seeds(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare") / "res"
    run_exprun(ROOT / "tests" / "configs" / "small_sgd.yaml", "--out", out, "--quiet",
               "--set", "seeds=8", "--set", "run.steps=300", "--set", "optimizer.lr=[0.1,100]")
    return out / "results.h5"


def _final(path, metric="suboptimality"):
    df = exprun.load(path, metrics=metric, views="last")
    last = df.sort_values("step").groupby("run_id", observed=True).tail(1).set_index("run_id")
    idx = exprun.index(path).set_index("run_id")
    idx["final"] = last.value
    idx.loc[idx.status != "completed", "final"] = np.inf   # a diverged run ranks worst
    return idx


def test_paired_statistics_match_scipy(eight_seeds):
    out = json.loads(run_exprun("compare", eight_seeds, "--metric", "suboptimality", "--format", "json", "--paired").stdout)
    runs = _final(eight_seeds)
    checked = 0
    for pair in out["pairs"]:
        (sa, la), (sb, lb) = (p.split(" ") for p in (pair["a"], pair["b"]))
        cell = lambda s, lr: runs[(runs.model == pair["problem"].removeprefix("model=")) & (runs["optimizer.schedule"] == s)
                                  & (runs["optimizer.lr"] == float(lr))].set_index("seed").final
        a, b = cell(sa, la), cell(sb, lb)
        assert pair["seeds"] == len(a) == 8
        assert pair["a_better"] == int((a < b).sum()) and pair["b_better"] == int((a > b).sum())
        both = np.isfinite(a) & np.isfinite(b)
        d = (a - b)[both].to_numpy()
        assert pair["n"] == len(d)
        if len(d) < 2:
            continue
        assert pair["mean_difference"] == pytest.approx(d.mean(), rel=1e-12)
        nz = d[d != 0]
        assert pair["sign_p"] == pytest.approx(stats.binomtest(int((nz > 0).sum()), len(nz), 0.5).pvalue, rel=1e-12)
        assert pair["wilcoxon_p"] == pytest.approx(stats.wilcoxon(d).pvalue, rel=1e-9)
        # The percentile bootstrap of the mean (10000 resamples) against scipy's: same
        # statistic, other random draws, so equal up to resampling noise.
        ref = stats.bootstrap((d,), np.mean, method="percentile", n_resamples=10000, random_state=1).confidence_interval
        spread = d.std(ddof=1) / np.sqrt(len(d))
        assert pair["ci"][0] == pytest.approx(ref.low, abs=0.15 * spread)
        assert pair["ci"][1] == pytest.approx(ref.high, abs=0.15 * spread)
        checked += 1
    assert checked >= 6


def test_pivot_is_mean_and_std_with_the_best_in_bold(eight_seeds):
    out = json.loads(run_exprun("compare", eight_seeds, "--metric", "suboptimality", "--format", "json", "--pivot").stdout)
    runs = _final(eight_seeds)
    for row in out["pivot"]:
        means = {}
        for m in row["methods"]:
            s, lr = m["method"].split(" ")
            v = runs[(runs.model == row["problem"].removeprefix("model=")) & (runs["optimizer.schedule"] == s) & (runs["optimizer.lr"] == float(lr))].final
            finite = v[np.isfinite(v)]
            assert m["n"] == len(finite) and m["diverged"] == len(v) - len(finite)
            if len(finite) > 1:
                assert m["mean"] == pytest.approx(finite.mean(), rel=1e-12)
                assert m["std"] == pytest.approx(finite.std(ddof=1), rel=1e-9)
                means[m["method"]] = finite.mean()
        assert row["best"] == min(means, key=means.get)
    md = run_exprun("compare", eight_seeds, "--metric", "suboptimality", "--format", "markdown", "--pivot",
                    "--best-over", "optimizer.lr").stdout
    assert md.count("**") >= 2 * 2 + 2 and "| problem | isqrt | const |" in md and "@ optimizer.lr=" in md
    tex = run_exprun("compare", eight_seeds, "--format", "latex", "--pivot", "--best-over", "optimizer.lr").stdout
    assert "\\textbf{" in tex and "$\\pm$" in tex and "\\begin{tabular}{lrr}" in tex


def test_compare_accepts_several_files(eight_seeds, diverged_results):
    out = json.loads(run_exprun("compare", eight_seeds, diverged_results, "--best-over", "optimizer.lr", "--format", "json").stdout)
    methods = {m["method"] for row in out["pivot"] for m in row["methods"]}
    assert methods == {"small_sgd: isqrt", "small_sgd: const"} or len(methods) == 4
    bad = run_exprun("compare", eight_seeds, "--baseline", "nesterov", check=False)
    assert bad.returncode == 2 and "--baseline nesterov: no such method" in bad.stderr


def test_summary_of_several_files(eight_seeds, diverged_results):
    text = run_exprun("summary", eight_seeds, diverged_results, "--view", "last").stdout
    assert text.startswith(f"== {eight_seeds}\n") and f"\n== {diverged_results}\n" in text
    csv = run_exprun("summary", eight_seeds, diverged_results, "--view", "last", "--format", "csv").stdout.splitlines()
    assert csv[0].startswith("file,") and sum(l.startswith(str(eight_seeds) + ",") for l in csv) == 8
    assert sum(l.startswith(str(diverged_results) + ",") for l in csv) == 8
    assert len(json.loads(run_exprun("summary", eight_seeds, diverged_results, "--format", "json").stdout)) == 2
