"""The last-iterate paper's experiments through the whole tool (specs-a section 3): E1's closed
forms for SGD with step 1/(mu t) on the noisy quadratic (configs/last_iterate_quadratic.yaml),
within 3 standard errors over seeds; "eta = 0 leaves x fixed" and "sigma = 0 with S3 gives
x_2 = 0" as runs; projected SGD stays in the ball of configs/last_iterate_lad.yaml. The
expected numbers come from the formulas here, not from the Swift code."""
import numpy as np

import exprun
from conftest import ROOT, run_exprun

E1 = ROOT / "configs" / "last_iterate_quadratic.yaml"
E3 = ROOT / "configs" / "last_iterate_lad.yaml"


def closed_forms(d, sigma, mu, T):
    """E F(x_{T+1}) and E F(uniform average of x_2..x_{T+1}) under eta_t = 1/(mu t)."""
    H = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, T + 1))])
    tail = H[T] - H[:T]                      # H_T - H_{s-1}, s = 1..T
    base = d * sigma ** 2 / (2 * mu)
    return base / T, base * np.sum(tail ** 2) / T ** 2


def average_closed_form(weights, d, sigma, mu):
    """E F of sum_t w_t x_{t+1} (w normalised) under eta_t = 1/(mu t): x_{t+1} = -(1/(mu t)) sum_{s<=t} z_s,
    so the average is -(1/mu) sum_s z_s c_s with c_s = sum_{t>=s} w_t / t, and E F = d sigma^2/(2 mu) sum_s c_s^2."""
    w = np.asarray(weights, float) / np.sum(weights)
    t = np.arange(1, len(w) + 1)
    c = np.cumsum((w / t)[::-1])[::-1]
    return d * sigma ** 2 / (2 * mu) * np.sum(c ** 2)


def final_values(path, view):
    df = exprun.load(path, metrics="suboptimality", views=view)
    last = df.sort_values("step").groupby("run_id").tail(1)
    return last["value"].to_numpy()


def test_e1_closed_forms_within_three_standard_errors(tmp_path):
    out = tmp_path / "e1"
    run_exprun(E1, "--out", out, "--quiet", "--jobs", "2")
    last_theory, avg_theory = closed_forms(d=1, sigma=1.0, mu=2.0, T=200)
    assert abs(last_theory - 0.00125) < 1e-12 and abs(avg_theory - 0.00246) < 5e-6   # the spec's numbers
    T, t = 200, np.arange(1, 201)
    views = [("last", last_theory), ("avg", avg_theory),
             ("suffix_avg", average_closed_form(t > T - 100, 1, 1.0, 2.0)),    # the last ceil(0.5 T) iterates
             ("weighted_avg", average_closed_form(t, 1, 1.0, 2.0)),            # A3: weights t
             ("step_avg", average_closed_form(1 / (2.0 * t), 1, 1.0, 2.0))]    # A4: weights eta_t
    assert abs(average_closed_form(t == T, 1, 1.0, 2.0) - last_theory) < 1e-15
    assert abs(average_closed_form(np.ones(T), 1, 1.0, 2.0) - avg_theory) < 1e-15
    for view, theory in views:
        values = final_values(out / "results.h5", view)
        assert len(values) == 200
        se = values.std(ddof=1) / np.sqrt(len(values))
        assert abs(values.mean() - theory) <= 3 * se, (view, values.mean(), theory, se)
        assert se < 0.15 * theory


def test_zero_step_leaves_x_fixed_and_noiseless_s3_lands_on_zero(tmp_path):
    # F(x_1) = (mu/2) d x1^2 = 1 * 1 * 1 with mu = 2, x1 = 1, d = 1.
    out = tmp_path / "lr0"
    run_exprun(E1, "--out", out, "--quiet", "--set", "seeds=2", "--set", "optimizer.lr=0.0")
    for view in ["last", "avg", "suffix_avg", "weighted_avg"]:
        values = exprun.load(out / "results.h5", metrics="suboptimality", views=view)["value"].to_numpy()
        assert np.all(values == 1.0), view
    out = tmp_path / "noiseless"
    run_exprun(E1, "--out", out, "--quiet", "--set", "seeds=2", "--set", "model.sigma=0.0",
               "--set", "run.log={points: 3, scale: linear}")
    df = exprun.load(out / "results.h5", metrics="suboptimality", views="last")
    assert np.all(df[df["step"] >= 1]["value"].to_numpy() == 0.0)
    assert np.all(df[df["step"] == 0]["value"].to_numpy() == 1.0)


def test_projected_sgd_stays_in_the_ball(tmp_path):
    # A step far too large: unprojected SGD leaves any ball at once (|a.x - b| grows like ||x||);
    # projected onto radius 10 with rows a ~ N(0, I_10) the loss stays below ~ 10 * 3.2 + |b|.
    finals = {}
    for radius in ["10.0", "1.0e12"]:
        out = tmp_path / f"lad{radius}"
        run_exprun(E3, "--out", out, "--quiet", "--set", "seeds=1", "--set", "run.steps=[100]",
                   "--set", "optimizer.lr=[1000.0]", "--set", "optimizer.schedule=[const]",
                   "--set", "run.metrics=[train_loss]", "--set", "summary.metric=train_loss",
                   "--set", f"model.radius={radius}")
        df = exprun.load(out / "results.h5", metrics="train_loss", views="last")
        finals[radius] = df["value"].max()
    assert finals["10.0"] < 60, finals
    assert finals["1.0e12"] > 1000, finals
