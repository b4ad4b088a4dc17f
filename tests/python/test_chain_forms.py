"""A chain's transforms written as maps ({kind: {params}}) are the same chain as the string
form: the schema accepts both, exprun validates both, and the two configs give the same runs
(ids and per-step metrics). A misspelt parameter in the map form is refused by the schema and
by exprun at its file:line:col."""
import copy
import json

import h5py
import jsonschema
import numpy as np
import pytest
import yaml

from conftest import ROOT, run_exprun

STRING_FORM = ROOT / "tests" / "configs" / "chain_demo.yaml"
MAP_FORM = [{"clip_by_global_norm": {"max_norm": 1.0}},
            {"scale_by_adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1.0e-8}},
            {"add_decoupled_weight_decay": {"weight_decay": 0.01}}]
SCHEMA = json.loads((ROOT / "schemas" / "exprun-config.schema.json").read_text())


def map_form_config():
    doc = yaml.safe_load(STRING_FORM.read_text())
    doc["optimizers"]["clipped_adamw"]["transforms"] = copy.deepcopy(MAP_FORM)
    return doc


def runs(path):
    """(run_id -> {dataset: array}) without the timing series."""
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and name.startswith("runs/") and "time" not in name.split("/")[-1]:
                parts = name.split("/")
                out.setdefault(parts[1], {})["/".join(parts[2:])] = obj[()]
        f.visititems(visit)
    return out


def test_schema_accepts_the_map_form_and_checks_its_parameters():
    jsonschema.validate(map_form_config(), SCHEMA)
    bad = map_form_config()
    bad["optimizers"]["clipped_adamw"]["transforms"][0] = {"clip_by_global_norm": {"max_nrm": 1.0}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)
    bad["optimizers"]["clipped_adamw"]["transforms"][0] = {"clip_by_globl_norm": {"max_norm": 1.0}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


def test_exprun_locates_a_misspelt_parameter_in_the_map_form(tmp_path):
    config = tmp_path / "bad.yaml"
    text = STRING_FORM.read_text().replace('"clip_by_global_norm(max_norm=1.0)"', "{clip_by_global_norm: {max_nrm: 1.0}}")
    config.write_text(text)
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "max_nrm" in l)
    column = text.splitlines()[line - 1].index("max_nrm") + 1
    proc = run_exprun("validate", config, check=False)
    assert proc.returncode == 2
    assert f"bad.yaml:{line}:{column}:" in proc.stderr + proc.stdout
    assert "did you mean 'max_norm'?" in proc.stderr + proc.stdout


def test_map_and_string_forms_give_the_same_runs(tmp_path):
    map_config = tmp_path / "chain_demo.yaml"
    map_config.write_text(yaml.safe_dump(map_form_config(), sort_keys=False))
    run_exprun(STRING_FORM, "--out", tmp_path / "strings", "--jobs", "1", "--quiet")
    run_exprun(map_config, "--out", tmp_path / "maps", "--jobs", "1", "--quiet")
    a, b = runs(tmp_path / "strings" / "results.h5"), runs(tmp_path / "maps" / "results.h5")
    assert a.keys() == b.keys() and len(a) == 2
    for run_id in a:
        assert a[run_id].keys() == b[run_id].keys()
        for name in a[run_id]:
            assert np.array_equal(a[run_id][name], b[run_id][name]), (run_id, name)
