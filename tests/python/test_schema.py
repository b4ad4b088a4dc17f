"""The committed JSON Schema is current, every shipped config validates against it, and the
README catalogue is the one the declarations generate."""
import json
import pathlib

import jsonschema
import pytest
import yaml

from conftest import ROOT, run_exprun

SCHEMA = ROOT / "schemas" / "exprun-config.schema.json"
CONFIGS = sorted((ROOT / "configs").glob("*.yaml")) + sorted((ROOT / "tests" / "configs").glob("*.yaml"))


def test_committed_schema_is_current():
    generated = run_exprun("schema").stdout
    assert SCHEMA.read_text() == generated, "schemas/ is stale: run `make schema`"


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_config_validates_against_schema(config):
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(yaml.safe_load(config.read_text()), schema)
    assert run_exprun("validate", config).returncode == 0


def test_schema_rejects_what_exprun_rejects():
    schema = json.loads(SCHEMA.read_text())
    doc = yaml.safe_load((ROOT / "tests" / "configs" / "small_sgd.yaml").read_text())
    doc["optimizers"]["sgd"]["momentm"] = 0.9
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)
    doc = yaml.safe_load((ROOT / "tests" / "configs" / "small_sgd.yaml").read_text())
    doc["optimizers"]["sgd"]["lr"] = -1
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)


def test_readme_catalogue_is_current():
    readme = (ROOT / "README.md").read_text()
    start, end = "<!-- catalogue:start -->", "<!-- catalogue:end -->"
    assert start in readme and end in readme
    current = readme.split(start)[1].split(end)[0].strip()
    assert current == run_exprun("list", "--markdown").stdout.strip(), "README catalogue is stale: run `make readme-catalogue`"


def test_schema_branch_is_selected_by_kind():
    """An editor (jsonschema's best match) names the wrong value, not other kinds' keys."""
    schema = json.loads(SCHEMA.read_text())
    doc = yaml.safe_load((ROOT / "tests" / "configs" / "small_sgd.yaml").read_text())
    doc["datasets"]["reg"]["noise"] = "lots"
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert error.message == "'lots' is not of type 'number'" and list(error.path) == ["datasets", "reg", "noise"]
    doc["datasets"]["reg"]["noise"] = 0.1
    doc["datasets"]["reg"]["kind"] = "synthetic_regresion"
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert "synthetic_regresion" in error.message and "is not one of" in error.message


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_config_names_the_schema_for_editors(config):
    first = config.read_text().splitlines()[0]
    target = (config.parent / first.split("$schema=")[1]).resolve()
    assert first.startswith("# yaml-language-server: $schema=") and target == SCHEMA.resolve()
