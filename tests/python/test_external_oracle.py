"""The `external` model kind: a numpy logistic regression served by exprun.oracle matches the
built-in `logistic` model on the same CSV to 1e-12 (SGD, Adam, and MeZO on values only, the
same minibatches and perturbations for one seed), and a child that crashes, prints, sends
garbage, hangs, raises or lies in its hello fails its run cleanly (or is restarted), with
results.h5 valid and no process left behind."""
import os
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import EXPRUN, ROOT, run_exprun

ENV = {"PYTHONPATH": str(ROOT / "python" / "exprun")}
EXAMPLE = ROOT / "examples" / "oracle" / "logistic_numpy.py"
CHILD = ROOT / "tests" / "python" / "oracle_children" / "misbehave.py"


def write_csv(path, n=120, d=6, seed=3):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, d))
    w = rng.normal(size=d)
    y = np.where(a @ w + 0.5 * rng.normal(size=n) > 0, 1.0, -1.0)
    np.savetxt(path, np.column_stack([a, y]), delimiter=",", fmt="%.17g")


def first_order_config(csv):
    return f"""
name: oracle_match
seeds: 2
run:
  steps: 150
  batch_size: 8
  log: {{every: 25}}
  metrics: [train_loss, grad_norm, param_norm, train_accuracy, batch_loss]
datasets:
  data: {{kind: csv, path: {csv}}}
models:
  builtin: {{kind: logistic, dataset: data, l2: 0.001}}
  ext: {{kind: external, command: [python3, {EXAMPLE}, {csv}, "0.001"]}}
optimizers:
  sgd: {{kind: sgd, lr: 0.5}}
  adam: {{kind: adam, lr: 0.05}}
sweep:
  model: [builtin, ext]
  optimizer: [sgd, adam]
"""


def zeroth_order_config(csv):
    return f"""
name: oracle_values
seeds: 2
run:
  steps: 100
  batch_size: 16
  log: {{every: 20}}
  metrics: [train_loss, function_evals]
datasets:
  data: {{kind: csv, path: {csv}}}
models:
  builtin: {{kind: logistic, dataset: data}}
  values: {{kind: external, gradient: false, command: [python3, {EXAMPLE}, {csv}, "0", --values-only]}}
optimizers:
  mezo: {{kind: mezo, lr: 0.01, directions: 2}}
sweep:
  model: [builtin, values]
  optimizer: [mezo]
"""


def run_config(tmp_path, text, *args, check=True):
    config = tmp_path / "c.yaml"
    config.write_text(text)
    out = tmp_path / "out"
    proc = run_exprun(config, "--out", out, "--quiet", "--jobs", "2", *args, env=ENV, check=check)
    return proc, out / "results.h5"


def attrs(path):
    with h5py.File(path, "r") as f:
        return {rid: {k: (v.decode() if isinstance(v, bytes) else v) for k, v in g.attrs.items()}
                for rid, g in f["runs"].items()}


def series(path, metric):
    with h5py.File(path, "r") as f:
        return {rid: g[metric][()] for rid, g in f["runs"].items() if metric in g}


def by_name(path):
    """{(model name, optimizer name, seed): run id}."""
    return {(a["model"], a["optimizer"], int(a["seed"])): rid for rid, a in attrs(path).items()}


def completed_sweep(tmp_path, config):
    """Runs config(csv) on a fresh CSV; returns (results.h5, run ids by name, attributes), all runs completed."""
    csv = tmp_path / "data.csv"
    write_csv(csv)
    _, results = run_config(tmp_path, config(csv))
    names, a = by_name(results), attrs(results)
    assert all(v["status"] == "completed" for v in a.values()), {k: v["message"] for k, v in a.items()}
    return results, names, a


def test_numpy_logistic_matches_builtin_first_order(tmp_path):
    results, names, a = completed_sweep(tmp_path, first_order_config)
    for metric in ["train_loss", "grad_norm", "param_norm", "train_accuracy", "batch_loss"]:
        values = series(results, metric)
        for opt in ["sgd", "adam"]:
            for seed in [0, 1]:
                b, e = values[names[("builtin", opt, seed)]], values[names[("ext", opt, seed)]]
                assert b.shape == e.shape == (7,)
                np.testing.assert_allclose(e, b, rtol=1e-12, atol=1e-12, err_msg=f"{metric} {opt} seed {seed}")
    # The runs moved (the comparison is not of two constants), and seeds differ (their own batches).
    loss = series(results, "train_loss")
    sgd0, sgd1 = loss[names[("ext", "sgd", 0)]], loss[names[("ext", "sgd", 1)]]
    assert sgd0[-1] < 0.8 * sgd0[0] and not np.array_equal(sgd0, sgd1)
    ext = a[names[("ext", "sgd", 0)]]
    assert ext["model_info.examples"] == 120 and ext["model_info.restarts"] == 0
    assert "logistic_numpy.py" in ext["model_info.command"]


def test_values_only_child_matches_builtin_zeroth_order(tmp_path):
    results, names, _ = completed_sweep(tmp_path, zeroth_order_config)
    loss, evals = series(results, "train_loss"), series(results, "function_evals")
    for seed in [0, 1]:
        b, e = names[("builtin", "mezo", seed)], names[("values", "mezo", seed)]
        np.testing.assert_allclose(loss[e], loss[b], rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(evals[e], evals[b])
        assert loss[e][-1] < loss[e][0]


def test_first_order_method_on_values_only_model_is_a_config_error(tmp_path):
    csv = tmp_path / "data.csv"
    write_csv(csv)
    text = zeroth_order_config(csv).replace("mezo: {kind: mezo, lr: 0.01, directions: 2}",
                                            "mezo: {kind: sgd, lr: 0.01}")
    proc, results = run_config(tmp_path, text, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "c.yaml:" in proc.stderr and "gradient" in proc.stderr
    assert not results.exists()


MODES = ["clean", "noisy", "flaky", "crash", "garbage", "hang", "raises", "huge", "nan", "nan_retry"]


def misbehaving_config(tmp_path):
    options = {"noisy": f", log: {tmp_path / 'noisy.log'}", "nan_retry": ", on_nan: restart"}
    models = "\n".join(
        f"  {mode}: {{kind: external, timeout: 1.0{options.get(mode, '')}, "
        f"command: [python3, {CHILD}, {mode.split('_')[0]}, {tmp_path / (mode + '.marker')}]}}"
        for mode in MODES)
    return f"""
name: oracle_faults
seeds: 1
run:
  steps: 20
  batch_size: 5
  log: {{every: 5}}
  metrics: [train_loss, oracle_calls, oracle_restarts]
models:
{models}
optimizers:
  sgd: {{kind: sgd, lr: 0.3}}
sweep:
  model: [{", ".join(MODES)}]
"""


def children_alive():
    """Processes still running the misbehaving child."""
    alive = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                if str(CHILD).encode() in f.read():
                    alive.append(int(pid))
        except OSError:
            pass
    return alive


def test_misbehaving_children_fail_cleanly_or_restart(tmp_path):
    proc, results = run_config(tmp_path, misbehaving_config(tmp_path), check=False)
    assert proc.returncode == 1, proc.stderr   # some runs failed: exit 1, the sweep went on
    a = {v["model"]: v for v in attrs(results).values()}
    ids = {v["model"]: rid for rid, v in attrs(results).items()}
    loss, restarts = series(results, "train_loss"), series(results, "oracle_restarts")
    assert {m: v["status"] for m, v in a.items()} == {
        "clean": "completed", "noisy": "completed", "flaky": "completed", "crash": "failed",
        "garbage": "failed", "hang": "failed", "raises": "failed", "huge": "failed",
        "nan": "diverged", "nan_retry": "completed"}
    # Printing, and a crash or a NaN answered by a restart, change nothing: bit-identical to the clean run.
    for mode in ["noisy", "flaky", "nan_retry"]:
        np.testing.assert_array_equal(loss[ids[mode]], loss[ids["clean"]], err_msg=mode)
    assert restarts[ids["flaky"]][-1] == 1 and a["flaky"]["model_info.restarts"] == 1
    assert restarts[ids["nan_retry"]][-1] == 1 and restarts[ids["clean"]][-1] == 0
    calls = series(results, "oracle_calls")[ids["clean"]]
    # One per step and one per log point (train_loss), counted before the log point's own call.
    np.testing.assert_array_equal(calls, [0, 5 + 1, 10 + 2, 15 + 3, 20 + 4])
    log = (tmp_path / "noisy.log").read_text(errors="replace")
    assert "EXOR garbage on stdout 1" in log and "and on stderr 20" in log
    msg = {m: v["message"] for m, v in a.items()}
    assert "the child died" in msg["crash"] and "after 1 of 1 restarts" in msg["crash"]
    assert "crash: exiting at call 6" in msg["crash"]          # its last stderr lines
    assert "bad frame" in msg["garbage"] and "magic" in msg["garbage"]
    assert "timeout" in msg["hang"]
    assert "ValueError: the model cannot go on" in msg["raises"] and "restarts" not in msg["raises"]
    assert "dimension 1099511627776 is outside" in msg["huge"]
    assert a["nan"]["diverged_step"] == 4   # call 6: the log point at step 0, then steps 0..4
    with h5py.File(results, "r") as f:   # results.h5 is whole: every run, its index row
        assert len(f["runs"]) == len(MODES) and len(f["index"]["run_id"]) == len(MODES)
    assert children_alive() == []


def slow_config(tmp_path):
    return f"""
name: oracle_slow
run: {{steps: 100000, batch_size: 5, log: {{every: 1000}}}}
models:
  slow: {{kind: external, command: [python3, {CHILD}, slow]}}
optimizers:
  sgd: {{kind: sgd, lr: 0.1}}
"""


def start_slow_sweep(tmp_path):
    """exprun on a long run of a slow child, returned once the child is up."""
    config = tmp_path / "c.yaml"
    config.write_text(slow_config(tmp_path))
    proc = subprocess.Popen([EXPRUN, str(config), "--out", str(tmp_path / "out"), "--quiet"],
                            env={**os.environ, **ENV}, cwd=ROOT)
    deadline = time.time() + 60
    while not children_alive() and time.time() < deadline:
        time.sleep(0.1)
    assert children_alive(), "the child never started"
    return proc


def test_interrupt_leaves_no_children(tmp_path):
    proc = start_slow_sweep(tmp_path)
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=60) == 130
    time.sleep(0.2)
    assert children_alive() == []


def test_killed_exprun_leaves_no_children(tmp_path):
    proc = start_slow_sweep(tmp_path)
    proc.kill()   # SIGKILL: exprun cannot clean up; the child sees end-of-file (and PR_SET_PDEATHSIG)
    proc.wait(timeout=10)
    deadline = time.time() + 5
    while children_alive() and time.time() < deadline:
        time.sleep(0.1)
    assert children_alive() == []
