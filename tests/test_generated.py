"""Generated files (JSON Schemas, rule docs, unit table, hook entries) must match the code."""
import json

import pytest

from rackforge.gen import stale
from tests.conftest import ROOT, seed_files


def test_generated_files_are_fresh():
    bad = stale()
    assert not bad, f"stale generated files, run `python -m rackforge.gen`: {[str(p) for p in bad]}"


def test_design_schema_describes_quantities():
    s = json.loads((ROOT / "schemas" / "rackforge-design.schema.json").read_text())
    feed = s["$defs"]["Feed"]["properties"]["voltage"]
    assert feed["type"] == "string" and feed["x-dimension"] == "voltage"
    assert "voltage" in feed["description"] and "51 V" in feed["description"]


def test_seeds_validate_against_json_schema():
    import jsonschema
    import yaml

    schema = json.loads((ROOT / "schemas" / "rackforge-design.schema.json").read_text())
    for p in seed_files():
        data = json.loads(p.read_text()) if p.suffix == ".json" else yaml.safe_load(p.read_text())
        jsonschema.validate(json.loads(json.dumps(data, default=str)), schema)


@pytest.mark.parametrize("name", ["design", "catalog", "generations"])
def test_every_field_of_the_formats_is_described(name):
    """Issue 18: editors show each field's description; docs/format.md is made from the same text."""
    from rackforge.gen.jsonschema import schema_dict, undescribed

    missing = undescribed(schema_dict(name))
    assert not missing, f"describe these fields in rackforge/model/schema/descriptions.py (or their model): {missing}"
