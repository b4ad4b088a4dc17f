"""A run of another resolved config never replaces the results of a folder."""
import h5py

from conftest import ROOT, run_exprun

CONFIG = ROOT / "tests" / "configs" / "small_sgd.yaml"


def test_a_set_variant_gets_its_own_folder_and_the_sweep_survives(tmp_path):
    run_exprun(CONFIG, "--quiet", "--set", "seeds=2", cwd=tmp_path)
    full = tmp_path / "runs" / "small_sgd"
    before = {p: (full / p).read_bytes() for p in ("results.h5", "config.yaml", "summary.txt")}
    variant = run_exprun(CONFIG, "--quiet", "--set", "seeds=1", "--set", "optimizer.lr=0.05", cwd=tmp_path)
    own = [p for p in (tmp_path / "runs").iterdir() if p.name.startswith("small_sgd-")]
    assert len(own) == 1
    assert "runs/small_sgd holds the results of another config" in variant.stderr
    assert f"this run writes to runs/{own[0].name}" in variant.stderr and "seeds: 1" in variant.stderr
    assert {p: (full / p).read_bytes() for p in before} == before        # untouched, byte for byte
    with h5py.File(full / "results.h5") as f:
        assert len(f["runs"]) == 16
    with h5py.File(own[0] / "results.h5") as f:
        assert len(f["runs"]) == 4
    # The same variant again resumes in its own folder; the same full sweep resumes in its own.
    again = run_exprun(CONFIG, "--set", "seeds=1", "--set", "optimizer.lr=0.05", cwd=tmp_path)
    assert "resuming: 4 of 4 runs already finished" in again.stderr and f"runs/{own[0].name}/results.h5" in again.stdout
    same = run_exprun(CONFIG, "--set", "seeds=2", cwd=tmp_path)
    assert "holds the results of another config" not in same.stderr and "resuming: 16 of 16" in same.stderr


def test_an_explicit_out_of_another_config_is_refused(tmp_path):
    out = tmp_path / "res"
    run_exprun(CONFIG, "--out", out, "--quiet", "--set", "seeds=1")
    before = (out / "results.h5").read_bytes()
    bad = run_exprun(CONFIG, "--out", out, "--quiet", "--set", "seeds=2", check=False)
    assert bad.returncode == 2
    assert f"--out {out} holds the results of another config ({out}/config.yaml; was: seeds: 1, now: seeds: 2)" in bad.stderr
    assert (out / "results.h5").read_bytes() == before
    run_exprun(CONFIG, "--out", out, "--quiet", "--set", "seeds=2", "--fresh")  # replacing is explicit
    with h5py.File(out / "results.h5") as f:
        assert len(f["runs"]) == 16
