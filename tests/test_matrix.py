"""The design x generation matrix.

The expectation tests/expected/matrix.json is the matrix of every seed against every generation. Regenerate it
after a change to rules, profiles or seeds (from the repository root):

    rackforge matrix seeds/*.json seeds/*.yaml --format json --output tests/expected/matrix.json

The test compares what matters (pass or fail, and the binding requirement with its value and limit), so a
reworded message does not make it stale.
"""
import json

import pytest

from rackforge.cli.app import main
from rackforge.model.findings import Finding, Severity
from rackforge.features.matrix import binding, compute, describe_miss, fmt_quantity, render_markdown
from tests.conftest import ROOT, seed_files
from tests.test_generations import GENERATIONS

EXPECTED = ROOT / "tests" / "expected" / "matrix.json"


def _essence(data: dict) -> dict:
    out = {}
    for d in data["designs"]:
        for g, c in d["cells"].items():
            b = c["binding"]
            out[(d["file"], g)] = (c["pass"], None if b is None else (
                b["code"], b["requirement"], b["value"], b["limit"], b["unit"]))
    return {"generations": data["generations"], "cells": out}


@pytest.fixture(scope="module")
def matrix():
    import os

    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return compute([str(p.relative_to(ROOT)) for p in seed_files()])
    finally:
        os.chdir(cwd)


def test_matrix_matches_expectation(matrix):
    assert _essence(matrix.to_json()) == _essence(json.loads(EXPECTED.read_text()))


def test_every_seed_passes_its_own_generation(matrix):
    assert matrix.generations == GENERATIONS
    assert matrix.own_failures() == []
    assert [r.generation for r in matrix.rows] == GENERATIONS   # rows oldest first


def test_older_seed_fails_every_newer_generation(matrix):
    order = {g: i for i, g in enumerate(GENERATIONS)}
    for r in matrix.rows:
        for c in r.cells:
            if order[c.generation] > order[r.generation]:
                assert not c.passed, (r.name, c.generation)
                assert c.binding.requirement is not None, (r.name, c.generation, c.binding.code)


def test_binding_requirements_named(matrix):
    cell = {(r.generation, c.generation): c for r in matrix.rows for c in r.cells}
    # an air-cooled EIA rack cannot become an Open Rack generation
    for g in GENERATIONS[1:]:
        assert cell[("hgx-h100-air", g)].binding.requirement == "physical.frame_standards"
    # GB200 against GB300: 400 Gb/s of scale-out per GPU where 800 Gb/s is asked (4 x 400G per 4-GPU tray)
    # (its binding miss is categorical: GB300 asks for PSUs with energy storage, RF213)
    c = cell[("gb200-nvl72", "gb300-nvl72")]
    assert c.binding.requirement == "power.energy_storage"
    b = next(f for f in c.findings if f.requirement == "scale_out.bandwidth_per_accelerator")
    assert (b.requirement, b.value, b.limit) == ("scale_out.bandwidth_per_accelerator", 400e9, 800e9)
    # the North-American GB200 seed (415 V) in a European 400/230 V hall: the feed voltage binds
    b = cell[("gb200-nvl72", "gb200-nvl72-eu")].binding
    assert (b.requirement, b.value, b.limit) == ("power.feed_voltage_max", 415.0, 400.0)
    # VR against GB300: 18 x 11 kW + 9 x 1 kW + 2 x 0.12 kW = 207.24 kW over 132 kW (the GB300 profile's N+N envelope)
    b = cell[("vr-nvl72", "gb300-nvl72")].binding
    assert b.requirement == "power.rack_power_max"
    assert b.value == pytest.approx(207240.0) and b.limit == pytest.approx(132000.0)
    # every ORv3 (21-inch) seed fails Kyber on its frame
    for g in ("gb200-nvl72", "gb200-nvl72-eu", "gb300-nvl72", "vr-nvl72"):
        assert cell[(g, "rubin-ultra-kyber")].binding.requirement == "physical.frame_standards"
    # Helios is on Open Rack Wide as Kyber is: what binds is the 800 VDC feed Kyber asks for (Helios is AC-fed)
    assert cell[("amd-helios", "rubin-ultra-kyber")].binding.requirement == "power.feed_type"
    # ... and an Open Rack Wide frame is wider than the ORv3 frame Vera Rubin asks for
    assert cell[("amd-helios", "vr-nvl72")].binding.requirement == "physical.frame_standards"


def _f(code, requirement=None, value=None, limit=None, unit=None):
    return Finding(code, Severity.ERROR, "m", "f.json", "/x", requirement=requirement, value=value, limit=limit,
                   unit=unit)


def test_binding_ranking():
    soft = _f("RF101")
    small = _f("RF200", "power.rack_power_max", 110.0, 100.0, "W")        # 10% over
    big = _f("RF106", "physical.max_rack_mass", 3000.0, 1500.0, "kg")    # 100% over
    under = _f("RF416", "scale_out.bandwidth_per_accelerator", 100.0, 400.0, "bps")  # 75% under
    cat = _f("RF107", "physical.frame_standards")
    assert binding([soft, small, under]) is under
    assert binding([soft, small, big, under]) is big
    assert binding([soft, small, big, cat]) is cat
    assert binding([soft]) is soft and binding([]) is None


def test_quantities_for_people():
    assert fmt_quantity(582540.0, "W") == "582.5 kW"
    assert fmt_quantity(1.219, "m") == "1219 mm"
    assert fmt_quantity(8e11, "bps") == "800 Gb/s"
    assert fmt_quantity(1404.0, "kg") == "1,404 kg"
    assert describe_miss(_f("RF200", "power.rack_power_max", 207240.0, 142000.0, "W")) == (
        "power.rack_power_max: 207.2 kW vs 142 kW (+65.24 kW, 46%) (RF200)")


def test_markdown_table(matrix):
    md = render_markdown(matrix).splitlines()
    assert md[0].startswith("| design | `hgx-h100-air` |") and md[1].startswith("|---|")
    assert len(md) == 2 + len(matrix.rows)
    assert all(line.count("|") == len(GENERATIONS) + 2 for line in md)


def test_cli(tmp_path, capsys, monkeypatch, gb200, write_design):
    monkeypatch.chdir(ROOT)
    with pytest.raises(SystemExit) as exc:
        main(["matrix", "seeds/gb200-nvl72.json", "-g", "gb200-nvl72", "-g", "gb300-nvl72", "-f", "json"])
    assert exc.value.code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["generations"] == ["gb200-nvl72", "gb300-nvl72"]
    assert data["designs"][0]["cells"]["gb200-nvl72"]["pass"] is True
    # a design that fails its own generation exits 1
    gb200["templates"]["nvl72"]["frame"] = "EIA-48U-600x1200"
    p = write_design(gb200)
    with pytest.raises(SystemExit) as exc:
        main(["matrix", str(p), "-g", "gb200-nvl72"])
    assert exc.value.code == 1
    assert "physical.frame_standards" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main(["matrix", "seeds/gb200-nvl72.json", "-g", "nope"])
    assert exc.value.code == 2 and "unknown generation 'nope'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["matrix", str(tmp_path / "missing.json")])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "missing.json" in err and "Traceback" not in err
