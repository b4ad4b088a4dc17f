"""Usage shows the `exprun CONFIG` form, every subcommand's help has examples, `list --names`,
and the completion script completes values."""
import re

from conftest import run_exprun


def _subcommands():
    text = run_exprun("--help").stdout
    block = text.split("SUBCOMMANDS:")[1].split("See 'exprun help")[0]
    return re.findall(r"^  ([a-z]+)(?: \(default\))? ", block, re.M)


def test_usage_shows_the_config_form_and_every_subcommand_has_examples():
    top = run_exprun("--help").stdout
    assert "exprun CONFIG [--jobs N]" in top and "--generate-completion-script" in top
    subs = _subcommands()
    assert {"run", "summary", "compare", "export", "plot", "merge"} <= set(subs)
    for sub in subs:
        assert "Examples:" in run_exprun("help", sub).stdout, sub


def test_list_names():
    sections = run_exprun("list", "--names").stdout.split()
    assert "optimizers" in sections and "datasets" in sections
    assert "sgd" in run_exprun("list", "optimizers", "--names").stdout.split()


def test_completion_script_completes_values():
    script = run_exprun("--generate-completion-script", "bash").stdout
    for word in ["latex", "jsonl", "suffix_avg", "sgd", "synthetic_regression", "optimizers"]:
        assert re.search(rf"\b{word}\b", script), word
