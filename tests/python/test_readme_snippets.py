"""The README's Python snippets run as written against a results file with diverged runs."""
import re

import numpy as np

from conftest import ROOT


def test_readme_python_snippets(diverged_results):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Reading it from Python")[1].split("\n## ")[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 3
    # The reading lines are one line each.
    assert [l for l in blocks[0].splitlines() if "exprun." in l] == [
        l for l in blocks[0].splitlines() if l.split("=")[0].strip() in ("curves", "index", "ds")]
    code = "\n".join(blocks).replace("runs/last_iterate/results.h5", str(diverged_results))
    # The shipped README reads last_iterate (model, optimizer.schedule, optimizer.lr); the test
    # file has the same swept parameters.
    scope = {}
    exec(compile(code, "README.md", "exec"), scope)
    index, curves, ds = scope["index"], scope["curves"], scope["ds"]
    assert len(index) == 16 and (index.status == "diverged").sum() == 4
    assert isinstance(index.run_id[0], str)
    assert {"model", "optimizer.lr", "seed", "status", "view", "metric", "step", "value"} <= set(curves.columns)
    assert ds["suboptimality"].sizes == {"run": 16, "view": 4, "step": len(scope["steps"])}
    assert len(scope["steps"]) == len(scope["loss"]) == len(scope["avg_loss"])
    assert len(scope["final"]) == 16 and len(scope["table"]) == 8
    assert set(scope["mean_curves"]["optimizer.lr"].values) == {0.1, 100.0}
    assert np.isfinite(scope["mean_curves"].sel({"optimizer.lr": 0.1}).values).all()
