"""The embedded catalog: loads clean, every part cites a source, references resolve, ships in the wheel."""
import json
import zipfile

import pytest

from rackforge.model.catalog import default_catalog, resolve_generation
from tests.conftest import ROOT


def test_default_catalog_loads_clean():
    cat = default_catalog()
    assert cat.problems == []
    assert len(cat.parts) >= 20
    assert {"hgx-h100-air", "gb200-nvl72"} <= set(cat.generations)


def test_every_part_cites_a_source():
    for pn, part in default_catalog().parts.items():
        assert part.source and len(part.source) >= 8, pn
        # every figure is either under the part-level source or cited per field (estimates say so)
        for field, cite in part.sources.items():
            assert cite.strip(), (pn, field)


def test_generation_extends_and_sources():
    rg = resolve_generation("gb200-nvl72", default_catalog())
    assert rg.chain == ["gb200-nvl72", "ai-base"]
    assert rg.origin["supply_chain.max_lead_time"] == "ai-base"
    assert rg.gen.supply_chain.max_lead_time is not None
    assert float(rg.gen.power.rack_power_max) == 132_000.0
    # every value set has a citation
    for path in rg.origin:
        assert rg.sources.get(path), path


def test_packages_and_dies_stored_separately():
    g = resolve_generation("gb200-nvl72", default_catalog()).gen
    assert g.scale_up.domain_packages == 72 and g.scale_up.dies_per_package == 2


def test_extra_catalog_duplicate_pn(tmp_path, gb200, capsys):
    from rackforge.api import validate

    extra = tmp_path / "extra.json"
    extra.write_text(json.dumps({"catalog": "x", "parts": [{
        "pn": "UQD04-PAIR", "kind": "quick_disconnect", "name": "dup", "source": "test", "size": "UQD04",
        "cv": 0.8, "max_pressure": "100 psi"}]}))
    gb200["catalogs"] = ["extra.json"]
    p = tmp_path / "d.json"
    p.write_text(json.dumps(gb200))
    res = validate(str(p))
    [f] = res.findings
    assert f.code == "RF003" and f.file.endswith("extra.json") and f.line == 1


def test_wheel_ships_the_catalog(tmp_path):
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                          str(tmp_path), str(ROOT)], capture_output=True, text=True)
    if out.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {out.stderr[-300:]}")
    [whl] = tmp_path.glob("rackforge-*.whl")
    names = zipfile.ZipFile(whl).namelist()
    for p in (ROOT / "catalogs").rglob("*.yaml"):
        assert f"rackforge/_catalogs/{p.relative_to(ROOT / 'catalogs').as_posix()}" in names
    assert "rackforge/model/units.txt" in names
    # run from the unpacked wheel in another folder: the packaged catalog is found
    site = tmp_path / "site"
    zipfile.ZipFile(whl).extractall(site)
    seed = (ROOT / "seeds" / "gb200-nvl72.json").read_text()
    run = subprocess.run([sys.executable, "-m", "rackforge", "validate", "-"], input=seed, text=True,
                         capture_output=True, cwd=tmp_path, env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert run.returncode == 0, run.stdout + run.stderr
