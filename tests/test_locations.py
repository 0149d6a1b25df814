"""Findings carry JSON Pointer and line:col in JSON and YAML designs."""
import json

import yaml

from rackforge.api import validate
from rackforge.engine import Options


def _line_of(text, needle, nth=0):
    hits = [i for i, l in enumerate(text.splitlines(), 1) if needle in l]
    return hits[nth]


def test_json_location(tmp_path, gb200):
    ms = gb200["templates"]["nvl72"]["mounts"]
    ms[10]["u"] = ms[9]["u"]
    p = tmp_path / "d.json"
    p.write_text(json.dumps(gb200, indent=2))
    res = validate(str(p), Options(select=("RF101",)))
    [f] = res.findings
    assert f.pointer == "/templates/nvl72/mounts/10/u"
    lines = p.read_text().splitlines()
    id_line = _line_of(p.read_text(), f'"id": "{ms[10]["id"]}"')
    # json.dumps(indent=2) writes id, part, u on consecutive lines
    assert f.line == id_line + 2
    assert lines[f.line - 1][f.col - 1:].rstrip(",") == str(ms[10]["u"])


def test_yaml_location(tmp_path, h100):
    h100["templates"]["h100-rack"]["mounts"][3]["u"] = 1
    p = tmp_path / "d.yaml"
    p.write_text(yaml.safe_dump(h100, sort_keys=False))
    res = validate(str(p), Options(select=("RF101",)))
    [f] = res.findings
    assert f.pointer == "/templates/h100-rack/mounts/3/u"
    line = p.read_text().splitlines()[f.line - 1]
    assert line[f.col - 1:].startswith("1") and "u:" in line


def test_flow_style_yaml_location(tmp_path):
    text = open("seeds/hgx-h100-air.yaml").read().replace("{id: node2, part: DGX-H100, u: 9,",
                                                            "{id: node2, part: DGX-H100, u: 2,")
    p = tmp_path / "d.yaml"
    p.write_text(text)
    [f] = validate(str(p), Options(select=("RF101",))).findings
    line = text.splitlines()[f.line - 1]
    assert "node2" in line and line[f.col - 1:].startswith("2,")


def test_missing_field_points_at_parent(tmp_path, gb200):
    del gb200["templates"]["nvl72"]["power"]["feeds"][0]["breaker"]
    p = tmp_path / "d.json"
    p.write_text(json.dumps(gb200, indent=2))
    [f] = validate(str(p)).findings
    assert f.code == "RF001" and "missing required field 'breaker'" in f.message
    assert f.pointer == "/templates/nvl72/power/feeds/0/breaker"
    assert '"id": "A"' in p.read_text().splitlines()[f.line] or "{" in p.read_text().splitlines()[f.line - 1]


def test_unknown_field(tmp_path, gb200):
    gb200["site"]["altitud"] = "10 m"
    p = tmp_path / "d.json"
    p.write_text(json.dumps(gb200, indent=2))
    [f] = validate(str(p)).findings
    assert f.code == "RF001" and "unknown field 'altitud'" in f.message and f.pointer == "/site/altitud"
    assert '"altitud"' in p.read_text().splitlines()[f.line - 1]
