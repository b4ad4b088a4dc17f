"""Every command of the README's "Looking at results" section runs as written (on shortened
versions of the shipped sweeps it reads: same names, swept parameters and values)."""
import shlex

from conftest import ROOT, run_exprun


def test_looking_at_results_commands_run_as_written(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Looking at results")[1].split("<!-- report:end -->")[0]
    commands = [l.strip() for l in section.splitlines() if l.startswith("    exprun ")]
    assert len(commands) >= 15
    short = {"last_iterate": ["--set", "run.steps=300", "--set", "seeds=2"], "sea_omd": ["--set", "seeds=2"]}
    for name, overrides in short.items():
        run_exprun(ROOT / "configs" / f"{name}.yaml", "--out", tmp_path / "runs" / name, "--quiet", *overrides)
    for line in commands:
        args = shlex.split(line.split(" # ")[0])[1:]
        proc = run_exprun(*args, cwd=tmp_path, check=False)
        assert proc.returncode == 0, f"{line}\n{proc.stderr}"
        assert proc.stdout or "--output" in args or args[0] in ("plot", "report", "target"), line
