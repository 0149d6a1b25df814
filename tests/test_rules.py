"""Every rule: documented, triggered by its case, silent on the unmutated seed."""
import copy
import re

import pytest

from rackforge.api import validate
from rackforge.engine import Options
from rackforge.rules import all_rules
from tests.conftest import load_seed
from tests.rule_cases import CASES

RULES = all_rules()


def test_every_rule_has_a_case():
    missing = sorted(set(RULES) - {c.code for c in CASES})
    assert not missing, f"rules without a triggering case in tests/rule_cases.py: {missing}"


@pytest.mark.parametrize("code", sorted(RULES))
def test_rule_metadata(code):
    r = RULES[code]
    assert re.fullmatch(r"RF\d{3}", r.code)
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", r.name), r.name
    for part in ("**What**", "**Why**", "**Fix**"):
        assert part in r.doc, f"{code} doc lacks {part}"


def test_names_unique():
    names = [r.name for r in RULES.values()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.code)
def test_rule_triggers_and_is_silent(case, write_design, monkeypatch):
    seed = load_seed(case.seed)
    clean = validate(str(write_design(seed)), Options(select=(case.code,)))
    assert [f for f in clean.findings if f.code == case.code] == [], "rule fires on the unmutated seed"
    bad = copy.deepcopy(seed)
    case.mutate(bad)
    if case.catalog is not None:
        write_design(case.catalog, name="extra.json")
        bad.setdefault("catalogs", []).append("extra.json")
    for k, v in (case.env or {}).items():
        monkeypatch.setenv(k, v)
    res = validate(str(write_design(bad)), Options(select=(case.code, *case.also)))
    hits = [f for f in res.findings if f.code == case.code]
    assert hits, f"{case.code} did not fire"
    assert any(f.pointer.startswith(case.pointer) for f in hits), [f.pointer for f in hits]
    for f in hits:
        assert f.line is not None and f.line >= 1 and f.col >= 1
