"""The README's Python snippets run as written against a real results file."""
import re

from conftest import ROOT, run_exprun


def test_readme_python_snippets(tmp_path):
    out = tmp_path / "res"
    run_exprun(ROOT / "tests" / "configs" / "small_sgd.yaml", "--out", out, "--quiet", "--set", "seeds=2")
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Reading it from Python")[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 2
    code = "\n".join(blocks).replace("runs/last_iterate/results.h5", str(out / "results.h5"))
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert len(scope["index"]) == 16
    assert isinstance(scope["index"].run_id[0], str)
    assert len(scope["steps"]) == len(scope["loss"]) == len(scope["avg_loss"])
    assert scope["curves"].shape[0] == 16 * len(scope["steps"])
    assert {"model", "optimizer.lr", "seed"} <= set(scope["curves"].columns)
    assert scope["ds"]["suboptimality"].shape == (16, len(scope["steps"]))
