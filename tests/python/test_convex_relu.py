"""convex_fista through the CLI: the recorded iterate is the cone decomposition's ReLU network
at every log point (the driver calls the solver before evaluating), checked from the results
alone: at step 0 the zero network (FISTA starts from u = 0, not from relu2's random start), then
exact recovery, cones, and a network objective above the gated one by the decomposition's
extra weight decay."""
import h5py
import numpy as np

from conftest import run_exprun

CONFIG = """
name: convex_fista_small
seeds: 1
run:
  steps: 300
  log: {points: 6, scale: log}
  metrics: [train_loss, convex_objective, cone_violation, recovery_residual, undecomposed_neurons,
            decomposition_norm_ratio, active_neurons]
datasets:
  plane: {kind: teacher_student, n: 30, dim: 2, hidden: [6], classes: 2, test_fraction: 0.2, seed: 1}
models:
  net: {kind: relu2, dataset: plane, width: 0, beta: 1.0e-4, patterns: 60, pattern_seed: 0}
optimizers:
  fista: {kind: convex_fista}
sweep:
  model: [net]
  optimizer: [fista]
"""


def test_fista_iterate_is_the_decomposed_network(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG)
    run_exprun(config, "--out", tmp_path / "out", "--quiet", "--jobs", "1")
    with h5py.File(tmp_path / "out" / "results.h5", "r") as f:
        (run_id,) = list(f["runs"])
        g = f["runs"][run_id]
        assert g.attrs["status"] == "completed"
        assert g.attrs["undecomposed_neurons"] == 0
        steps = g["step"][()]
        train, gated = g["train_loss"][()], g["convex_objective"][()]
        residual, violation, ratio = g["recovery_residual"][()], g["cone_violation"][()], g["decomposition_norm_ratio"][()]
    assert steps[0] == 0 and steps[-1] == 300 and len(steps) >= 4
    # Step 0: u = 0, so the network is zero and its loss is mean(y^2)/2 = 1/2 on -1/+1 labels.
    assert train[0] == 0.5
    # Later points: exact predictions, neurons in their cones, a network objective at least the gated one.
    assert np.all(residual[1:] < 1e-10), residual
    assert np.all(violation[1:] < 1e-12), violation
    assert np.all(ratio[1:] >= 1 - 1e-12), ratio
    assert np.all(train[1:] >= gated[1:] - 1e-15)
    assert ratio[-1] > 1.01 and train[-1] > gated[-1] * 1.001, (ratio, train, gated)
    assert train[-1] < 0.25
