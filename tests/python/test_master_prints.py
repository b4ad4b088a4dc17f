"""Master inputs (CLIPMasterPrints' synthetic stand-in) checked by an independent numpy
re-implementation of the two towers and the fooling scores: the run stores its trained
towers, prompts and x_0 (`record_towers: true`), and numpy recomputes, from the weights alone,
the text embeddings, the image embedding of the clamped x_0, the objective and every
diagnostic at step 0; then the mined inputs of three routes improve on x_0."""
import h5py
import numpy as np

from conftest import run_exprun

CONFIG = """
name: master_small
seeds: 1
run:
  steps: 60
  log: {every: 20}
  metrics: [train_loss, fooling_min, fooling_mean, fooling_margin, fooling_wins, heldout_min, heldout_margin,
            heldout_wins, true_score, centred_margin, function_evals]
models:
  towers: {kind: master_input, input_dim: 12, latent_dim: 4, hidden: 10, embedding: 6, classes: 5, related: 2,
           gap: 6, train_steps: 30, true_inputs: 8, record_towers: true}
  towers_mean: {kind: master_input, input_dim: 12, latent_dim: 4, hidden: 10, embedding: 6, classes: 5, related: 2,
                gap: 6, train_steps: 30, true_inputs: 8, record_towers: true, aggregate: mean, start: true_input,
                start_seed: 3}
optimizers:
  adam: {kind: adam, lr: 0.1}
  pgd: {kind: signsgd, lr: 0.01, momentum: 0}
  cmaes: {kind: cmaes, sigma0: 0.5}
sweep:
  model: [towers, towers_mean]
  optimizer: [adam, pgd, cmaes]
"""


def runs(tmp_path):
    config = tmp_path / "c.yaml"
    config.write_text(CONFIG)
    run_exprun(config, "--out", tmp_path / "out", "--quiet")
    out = []
    with h5py.File(tmp_path / "out" / "results.h5", "r") as f:
        for run_id in f["runs"]:
            g = f["runs"][run_id]
            series = {k: g[k][()] for k in g if isinstance(g[k], h5py.Dataset)}
            out.append((series, dict(g.attrs)))
    return out


def info(attrs, name):
    return np.asarray(attrs["model_info." + name], dtype=float)


def normalise(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def numpy_scores(attrs, x):
    """Every diagnostic at x from the recorded weights (D = 12, L = 4, H = 10, E = 6)."""
    D, L, H, E = 12, 4, 10, 6
    theta = info(attrs, "theta")
    w1 = theta[:H * D].reshape(H, D)
    b1 = theta[H * D:H * D + H]
    w2 = theta[H * D + H:H * D + H + E * H].reshape(E, H)
    u = theta[H * D + H + E * H:].reshape(E, L)
    latents = info(attrs, "class_latents").reshape(-1, L)
    raw = latents @ u.T + info(attrs, "text_offset")
    np.testing.assert_allclose(raw, info(attrs, "raw_prompts").reshape(-1, E), rtol=0, atol=1e-12)
    prompts = normalise(raw)
    np.testing.assert_allclose(prompts, info(attrs, "prompts").reshape(-1, E), rtol=0, atol=1e-12)
    c = np.clip(x, info(attrs, "lower"), info(attrs, "upper"))
    v = w2 @ np.tanh(w1 @ c + b1) + info(attrs, "image_offset")
    e = v / np.linalg.norm(v)
    s = prompts @ e
    held = info(attrs, "heldout").reshape(-1, E) @ e
    true, held_true = info(attrs, "true_scores"), info(attrs, "heldout_true_scores")
    centred_t = normalise(raw - info(attrs, "text_mean"))
    centred_e = normalise(v - info(attrs, "image_mean"))
    return {
        "fooling_min": s.min(), "fooling_mean": s.mean(), "fooling_margin": (s - true).min(),
        "fooling_wins": np.mean(s - true > 0), "heldout_min": held.min(), "heldout_margin": (held - held_true).min(),
        "heldout_wins": np.mean(held - held_true > 0), "true_score": true.mean(),
        "centred_margin": (centred_t @ centred_e - info(attrs, "centred_true_scores")).min(),
    }


def test_scores_match_a_numpy_reimplementation_and_mining_raises_them(tmp_path):
    results = runs(tmp_path)
    assert len(results) == 6
    for series, attrs in results:
        assert attrs["status"] == "completed"
        x0 = info(attrs, "start")
        expected = numpy_scores(attrs, x0)
        for name, value in expected.items():
            assert abs(series[name][0] - value) < 1e-12, (name, series[name][0], value)
        aggregate = expected["fooling_min"] if attrs["model"] == "towers" else expected["fooling_mean"]
        assert abs(series["train_loss"][0] + aggregate) < 1e-12
        # The objective the run descends is the score it reports, at every log point.
        objective = series["fooling_min"] if attrs["model"] == "towers" else series["fooling_mean"]
        np.testing.assert_allclose(series["train_loss"], -objective, rtol=0, atol=1e-12)
        assert objective[-1] > objective[0] + 1e-3, (attrs["model"], attrs["optimizer"], objective)
        assert 0 <= series["fooling_wins"].min() and series["fooling_wins"].max() <= 1
        # Function evaluations: one per step for the gradient routes, λ = 4 + ⌊3 ln 12⌋ = 11 per generation for CMA-ES.
        per_step = 11 if attrs["optimizer"] == "cmaes" else 1
        assert list(series["function_evals"]) == [0, 20 * per_step, 40 * per_step, 60 * per_step]
    # The towers are a fixed function of model_seed: every run saw the same ones.
    thetas = {tuple(info(a, "theta")) for _, a in results}
    assert len(thetas) == 1
