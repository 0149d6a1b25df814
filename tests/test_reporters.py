"""Output formats of `rackforge validate` (sarif, github, junit, gitlab, text, concise, json) and the
locations they carry (design files, extra catalog files and fabric patterns, JSON and YAML)."""
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from rackforge.api import validate
from rackforge.engine import Options, Result
from rackforge.errors import InputError
from rackforge.model.findings import Finding, Severity
from rackforge.reporters import REPORTERS
from rackforge.reporters.github import escape_data, escape_property

DATA = Path(__file__).parent / "data"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A fake repository (a folder holding .git) as the working directory."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _bad_design(repo, gb200, sub="designs/sub dir"):
    """A design with two overlapping mounts (RF101) in a folder whose name needs URI escaping."""
    ms = gb200["templates"]["nvl72"]["mounts"]
    ms[10]["u"] = ms[9]["u"]
    d = repo / sub
    d.mkdir(parents=True)
    p = d / "bad.json"
    p.write_text(json.dumps(gb200, indent=2))
    return p


def _run(fmt, paths, **kw):
    results, errors = [], []
    for p in paths:
        try:
            results.append(validate(str(p)))
        except InputError as exc:
            errors.append(exc)
    return REPORTERS[fmt](results, errors, statistics=False, color=False, **kw), results, errors


# --- SARIF -------------------------------------------------------------------------------------------------

def _sarif_validator():
    import jsonschema

    schema = json.loads((DATA / "sarif-schema-2.1.0.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_sarif_schema_copy_is_the_published_one():
    import hashlib

    digest = hashlib.sha256((DATA / "sarif-schema-2.1.0.json").read_bytes()).hexdigest()
    assert digest == "03b3c591cf1a1a87c5e29119785ec9671e07a38f5f5a761d2deeea0e07faa738"  # tests/data/SOURCES.md


def test_sarif_valid_against_the_official_schema(repo, gb200):
    bad = _bad_design(repo, gb200)
    text, results, _ = _run("sarif", [bad, "missing.json"])
    doc = json.loads(text)
    errors = sorted(_sarif_validator().iter_errors(doc), key=str)
    assert errors == [], [e.message for e in errors[:5]]
    run = doc["runs"][0]
    assert doc["version"] == "2.1.0"
    # rule metadata: every registered rule, with short and full description and help
    from rackforge.rules import all_rules

    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(all_rules())
    for r in rules:
        assert r["shortDescription"]["text"] and r["fullDescription"]["text"] and r["help"]["text"]
    [res] = run["results"]
    [f] = results[0].findings
    assert res["ruleId"] == "RF101" and rules[res["ruleIndex"]]["id"] == "RF101"
    assert res["level"] == "error" and res["message"]["text"].startswith(f.message)
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "designs/sub%20dir/bad.json", "uriBaseId": "%SRCROOT%"}
    assert loc["region"] == {"startLine": f.line, "startColumn": f.col}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    # the unreadable file is a notification and the run is marked unsuccessful
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert inv["toolExecutionNotifications"][0]["message"]["text"].startswith("file not found")


def test_sarif_clean_run_is_valid(repo):
    text, _, _ = _run("sarif", [Path(__file__).parent.parent / "seeds" / "hgx-h100-air.yaml"])
    doc = json.loads(text)
    assert list(_sarif_validator().iter_errors(doc)) == []
    assert doc["runs"][0]["results"] == [] and doc["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_sarif_validator_catches_a_broken_document(repo, gb200):
    """The schema check is not vacuous: a result without its message fails it."""
    text, _, _ = _run("sarif", [_bad_design(repo, gb200)])
    doc = json.loads(text)
    del doc["runs"][0]["results"][0]["message"]
    assert list(_sarif_validator().iter_errors(doc))


# --- GitHub annotations ------------------------------------------------------------------------------------

def test_github_escaping_rules():
    # expected strings written by hand from the Actions toolkit's escapeData / escapeProperty
    assert escape_data("50% over\r\nlimit: a, b") == "50%25 over%0D%0Alimit: a, b"
    assert escape_property("50% over\r\nlimit: a, b") == "50%25 over%0D%0Alimit%3A a%2C b"
    assert escape_data("%0A") == "%250A"  # a literal %0A in a message must not become a newline


def test_github_annotation_line(repo):
    f = Finding("RF201", Severity.WARNING, "load 105% of rating\nsecond line", "x,y:z.json", "/a", 3, 7,
                hint=None, name="busbar-overcurrent")
    (repo / "x,y:z.json").write_text("{}")
    out = REPORTERS["github"]([Result("x,y:z.json", [f])], [])
    first = out.splitlines()[0]
    assert first == ("::warning file=x%2Cy%3Az.json,line=3,col=7,title=RF201 busbar-overcurrent::"
                     "load 105%25 of rating%0Asecond line")


def test_github_on_a_design(repo, gb200):
    bad = _bad_design(repo, gb200)
    out, results, _ = _run("github", [bad, "missing.json"])
    [f] = results[0].findings
    lines = out.splitlines()
    assert lines[0] == "::error file=missing.json,title=rackforge%3A unreadable input::file not found"
    assert lines[1].startswith(f"::error file=designs/sub dir/bad.json,line={f.line},col={f.col},"
                               "title=RF101 rack-unit-overlap::")
    assert "%0Ahint%3A" not in lines[1]  # the message part escapes only %, CR and LF


# --- JUnit -------------------------------------------------------------------------------------------------

def test_junit_structure(repo, gb200):
    bad = _bad_design(repo, gb200)
    seed = Path(__file__).parent.parent / "seeds" / "hgx-h100-air.yaml"
    out, results, _ = _run("junit", [bad, seed, "missing.json"])
    root = ET.fromstring(out.encode())
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "1")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {str(bad), str(seed), "missing.json"}
    [case] = suites[str(bad)].iter("testcase")
    [f] = results[0].findings
    assert case.get("name") == f"RF101 rack-unit-overlap at {f.line}:{f.col}" and case.get("line") == str(f.line)
    assert case.find("failure").get("type") == "RF101"
    [clean] = suites[str(seed)].iter("testcase")
    assert clean.find("failure") is None and clean.get("name") == "no findings"
    assert suites["missing.json"].find("testcase/error") is not None


def test_junit_follows_fail_on_and_escapes(repo):
    f = Finding("RF110", Severity.WARNING, "odd <chars> & \x01 control", "d.json", "/x", 1, 1, name="heavy-part-high")
    res = [Result("d.json", [f])]
    out = REPORTERS["junit"](res, [], fail_on=Severity.ERROR)
    root = ET.fromstring(out.encode())  # parses: '<', '&' escaped, the control character replaced
    case = root.find("testsuite/testcase")
    assert case.find("failure") is None and "odd <chars> & \ufffd control" in case.find("system-out").text
    out = REPORTERS["junit"](res, [], fail_on=Severity.WARNING)
    failure = ET.fromstring(out.encode()).find("testsuite/testcase/failure")
    assert failure.get("message") == "odd <chars> & \ufffd control"


# --- GitLab Code Quality -----------------------------------------------------------------------------------

def test_gitlab_code_quality(repo, gb200):
    bad = _bad_design(repo, gb200)
    out, results, _ = _run("gitlab", [bad])
    [issue] = json.loads(out)
    [f] = results[0].findings
    assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
    assert issue["severity"] == "major" and issue["check_name"] == "RF101 rack-unit-overlap"
    assert issue["location"] == {"path": "designs/sub dir/bad.json", "lines": {"begin": f.line}}
    assert f.message in issue["description"]


def test_gitlab_fingerprints_unique_and_stable(repo):
    a = Finding("RF110", Severity.INFO, "same", "d.json", "/x", 1, 1, name="n")
    b = Finding("RF110", Severity.INFO, "same", "d.json", "/x", 9, 1, name="n")
    issues = json.loads(REPORTERS["gitlab"]([Result("d.json", [a, b])], []))
    assert len({i["fingerprint"] for i in issues}) == 2
    assert issues[0]["severity"] == "info"
    again = json.loads(REPORTERS["gitlab"]([Result("d.json", [a])], []))
    assert again[0]["fingerprint"] == issues[0]["fingerprint"]  # does not depend on the line


# --- every format through the CLI --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "concise", "json", "sarif", "github", "junit", "gitlab"])
def test_cli_formats(repo, gb200, fmt):
    bad = _bad_design(repo, gb200, sub="d")
    out = subprocess.run([sys.executable, "-m", "rackforge", "validate", "-f", fmt, str(bad), "-o", "report"],
                         capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    text = (repo / "report").read_text()
    assert "RF101" in text
    if fmt in ("json", "sarif", "gitlab"):
        json.loads(text)
    if fmt == "junit":
        ET.fromstring(text.encode())


def test_cli_unknown_format(repo):
    out = subprocess.run([sys.executable, "-m", "rackforge", "validate", "-f", "xml", "x.json"], capture_output=True,
                         text=True)
    assert out.returncode == 2 and "unknown format 'xml'" in out.stderr and "Traceback" not in out.stderr


# --- locations in extra catalogs and patterns --------------------------------------------------------------

_PART = {"pn": "LAB-CABLE-1", "kind": "cable", "name": "lab cable", "source": "test", "media": "copper_utp",
         "form_factor": "RJ45", "speed": "1 Gbit/s", "lanes": 1, "length": "3 m", "max_reach": "100 m"}


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_location_in_extra_catalog(tmp_path, gb200, fmt):
    """A schema error in an extra catalog file points at that file, at the bad value's line and column."""
    bad_part = dict(_PART, length="3 furlongs-ish")
    cat = {"catalog": "lab", "parts": [dict(_PART, pn="LAB-OK"), bad_part]}
    cp = tmp_path / f"lab.{fmt}"
    cp.write_text(json.dumps(cat, indent=2) if fmt == "json" else yaml.safe_dump(cat, sort_keys=False))
    gb200["catalogs"] = [cp.name]
    dp = tmp_path / "d.json"
    dp.write_text(json.dumps(gb200, indent=2))
    [f] = [f for f in validate(str(dp)).findings if f.file == str(cp)]
    assert f.code == "RF001" and f.pointer == "/parts/1/length"  # not the union tag ('/parts/1/cable')
    line = cp.read_text().splitlines()[f.line - 1]
    assert "furlongs" in line and line[f.col - 1:].lstrip('"').startswith("3 furlongs")


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_location_of_duplicate_part_across_catalogs(tmp_path, gb200, fmt):
    """A part number of the default catalog defined again in an extra catalog points at the second definition."""
    cat = {"catalog": "lab", "parts": [dict(_PART), dict(_PART, pn="CAT6-RJ45-3M")]}
    cp = tmp_path / f"lab.{fmt}"
    cp.write_text(json.dumps(cat, indent=2) if fmt == "json" else yaml.safe_dump(cat, sort_keys=False))
    gb200["catalogs"] = [cp.name]
    dp = tmp_path / "d.json"
    dp.write_text(json.dumps(gb200, indent=2))
    [f] = [f for f in validate(str(dp)).findings if f.file == str(cp)]
    assert f.code == "RF003" and f.pointer == "/parts/1"
    lines = cp.read_text().splitlines()
    second = [i for i, text in enumerate(lines, 1) if "pn" in text][1]  # the line of the second part's pn
    if fmt == "json":
        assert lines[f.line - 1].strip() == "{" and f.line == second - 1
    else:
        assert f.line == second and lines[f.line - 1][f.col - 1:].startswith("pn: CAT6-RJ45-3M")


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_location_of_schema_error_in_pattern(tmp_path, gb200, fmt):
    """A wrong type inside a fabric pattern (a tagged union) points at the field, not at the union tag."""
    gb200["templates"]["nvl72"]["patterns"][0]["cable"] = 5
    p = tmp_path / f"d.{fmt}"
    p.write_text(json.dumps(gb200, indent=2) if fmt == "json" else yaml.safe_dump(gb200, sort_keys=False))
    [f] = validate(str(p)).findings
    assert f.code == "RF001" and f.pointer == "/templates/nvl72/patterns/0/cable"
    line = p.read_text().splitlines()[f.line - 1]
    assert "cable" in line and line[f.col - 1:].rstrip(",") == "5"


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_location_in_pattern(tmp_path, gb200, fmt):
    """A fabric pattern whose selector matches nothing points at that selector."""
    gb200["templates"]["nvl72"]["patterns"][1]["devices"] = "zz*"
    p = tmp_path / f"d.{fmt}"
    p.write_text(json.dumps(gb200, indent=2) if fmt == "json" else yaml.safe_dump(gb200, sort_keys=False))
    [f] = validate(str(p), Options(select=("RF004",))).findings
    assert f.pointer == "/templates/nvl72/patterns/1/devices"
    line = p.read_text().splitlines()[f.line - 1]
    assert "devices" in line and line[f.col - 1:].lstrip("'\"").startswith("zz*")


@pytest.mark.parametrize("seed", ["gb200-nvl72.json", "hgx-h100-air.yaml"])
def test_position_map_built_only_when_reporting(seed, tmp_path):
    """A clean design never pays for the pointer -> line:col map; a finding builds it."""
    res = validate(str(Path(__file__).parent.parent / "seeds" / seed))
    assert res.findings == [] and res.loaded.doc._positions is None
    text = (Path(__file__).parent.parent / "seeds" / seed).read_text()
    p = tmp_path / seed
    p.write_text(text.replace('"rackforge": 1', '"rackforge": 1, "extra_key": 1', 1) if seed.endswith(".json")
                 else text.replace("rackforge: 1", "rackforge: 1\nextra_key: 1", 1))
    res = validate(str(p))
    assert [f.code for f in res.findings] == ["RF001"] and res.loaded.doc._positions is not None


def test_github_stdin_has_no_file_property(repo):
    out = subprocess.run([sys.executable, "-m", "rackforge", "validate", "-f", "github", "-"], input='{"rackforge": 1}',
                         capture_output=True, text=True)
    first = out.stdout.splitlines()[0]
    assert out.returncode == 1 and first.startswith("::error title=RF001 schema-violation::<stdin>:1:1: missing")
